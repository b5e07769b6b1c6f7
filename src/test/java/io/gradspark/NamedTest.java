package io.gradspark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.optim.MomentumSgd;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NamedTest {
  @Test
  void acceptsCaseUnderscoresAndAliases() {
    assertEquals(Activation.Kind.LEAKY_RELU, Activation.parse(" Leaky_ReLU ", 0.1).kind());
    assertEquals(0.1, Activation.parse("leaky-relu", 0.1).slope(), 0.0);
    assertEquals(Activation.SILU, Activation.parse("Swish", 0));
    assertEquals(0.5, Activation.parse("ELU", 0.1, 0.5).alpha(), 0.0);
    assertEquals(Initializer.XAVIER_UNIFORM, Initializer.parse("xavier"));
    assertEquals(Initializer.HE_NORMAL, Initializer.parse("HE"));
    assertEquals(Head.SIGMOID_BINARY_CROSS_ENTROPY, Head.parse("sigmoid"));
    assertEquals(MomentumSgd.Form.HEAVY_BALL, MomentumSgd.Form.parse("heavy_ball"));
  }

  @Test
  void refusesAnUnknownNameListingTheAllowedOnes() {
    GradsparkException e = assertThrows(GradsparkException.class, () -> Initializer.parse("glorot"));
    assertEquals("Unknown initializer 'glorot'", e.getMessage());
    assertEquals(
        "use one of xavier-uniform (alias xavier), xavier-normal, he-normal (alias he), uniform",
        e.hint());
    e = assertThrows(GradsparkException.class, () -> Head.parse("tanh"));
    assertEquals("Unknown output head 'tanh'", e.getMessage());
    assertEquals("use one of softmax (multiclass), sigmoid (binary, one output),"
        + " mse (regression or one-hot)", e.hint());
    e = assertThrows(GradsparkException.class, () -> Activation.parse("mish", 0));
    assertEquals("use one of sigmoid, tanh, relu, leaky-relu, identity, gelu, elu, selu, "
        + "softplus, silu (alias swish)", e.hint());
    e = assertThrows(GradsparkException.class, () -> MomentumSgd.Form.parse("adam"));
    assertEquals("Unknown momentum form 'adam'", e.getMessage());
    assertEquals("use one of heavy-ball, ema, nesterov", e.hint());
  }

  @Test
  void nearestNameIsTheFirstOfTheLeastEditsWithinTheLimit() {
    List<String> names = List.of("adam", "adamw", "adagrad");
    assertEquals(Optional.of("adam"), Named.nearest("adma", names, 2)); // 2 edits
    assertEquals(Optional.of("adamw"), Named.nearest("adamww", names, 2)); // 1 edit, adam 2
    assertEquals(Optional.of("adam"), Named.nearest("adaq", List.of("adam", "adax"), 1)); // tie
    assertEquals(Optional.of("adax"), Named.nearest("adaq", List.of("adax", "adam"), 1));
    assertEquals(Optional.empty(), Named.nearest("sgdxyz", names, 2));
    assertEquals(Optional.empty(), Named.nearest("x", List.of(), 3));
  }
}
