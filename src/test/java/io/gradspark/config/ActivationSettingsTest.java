package io.gradspark.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import io.gradspark.cli.Main;
import io.gradspark.io.ModelFile;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** model.activation's new names, model.elu-alpha and model.label-smoothing, read and refused. */
class ActivationSettingsTest {
  @TempDir
  Path tmp;

  private static Network network(String... sets) {
    return RunSpecs.load(null, List.of(sets), "x").spec().network();
  }

  @Test
  void newActivationsPerLayerWithEluAlphaAndLabelSmoothing() {
    Network net = network("model.layers=[4,6,5,5,5,5,3]",
        "model.activation=[gelu,elu,selu,softplus,swish]", "model.elu-alpha=0.5",
        "model.label-smoothing=0.1");
    assertEquals(List.of(Activation.GELU, Activation.elu(0.5), Activation.SELU,
        Activation.SOFTPLUS, Activation.SILU), net.activations());
    assertEquals(0.1, net.labelSmoothing(), 0.0);
    assertEquals(0.0, network().labelSmoothing(), 0.0);
    assertEquals(Activation.ELU, network("model.activation=elu").activation(0));
  }

  @Test
  void refusalsNameTheKeyAndWhatToDo() {
    GradsparkException e = assertThrows(GradsparkException.class, () -> network(
        "model.layers=[4,3,1]", "model.head=sigmoid", "model.label-smoothing=0.1"));
    assertTrue(e.getMessage().startsWith("Setting model.label-smoothing must be 0 with the "
        + "sigmoid head"), e.getMessage());
    e = assertThrows(GradsparkException.class, () -> network("model.label-smoothing=1"));
    assertTrue(e.getMessage().startsWith("Setting model.label-smoothing must be a number >= 0 "
        + "and < 1"), e.getMessage());
    e = assertThrows(GradsparkException.class, () -> network("model.label-smoothing=-0.1"));
    assertTrue(e.getMessage().startsWith("Setting model.label-smoothing must be"), e.getMessage());
    e = assertThrows(GradsparkException.class, () -> network("model.elu-alpha=0"));
    assertTrue(e.getMessage().startsWith("Setting model.elu-alpha must be a number > 0"),
        e.getMessage());
    e = assertThrows(GradsparkException.class, () -> network("model.activation=mish"));
    assertTrue(e.hint().contains("gelu, elu, selu, softplus, silu (alias swish)"), e.hint());
    // on the command line: exit code 2, nothing run
    assertEquals(2, Main.execute("gradcheck", "--set", "model.head=mse",
        "--set", "model.label-smoothing=0.2"));
  }

  @Test
  void theModelFileKeepsEluAlphaAndLabelSmoothing() {
    Network net = new Network(new int[] {3, 4, 4, 2}, List.of(Activation.elu(0.25),
        Activation.GELU), Head.SOFTMAX_CROSS_ENTROPY, 0.15);
    Path file = tmp.resolve("model.npz");
    ModelFile.save(file, net, net.initialParameters(Initializer.HE_NORMAL, 1), 1.0, -1, Map.of());
    ModelFile.Loaded m = ModelFile.load(file);
    assertEquals(net.activations(), m.net().activations());
    assertEquals(0.15, m.net().labelSmoothing(), 0.0);
    assertEquals(net.describe(), m.net().describe());
  }
}
