package io.gradspark.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import io.gradspark.api.RunSpec;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import io.gradspark.nn.Precision;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.MomentumSgd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The config layer: HOCON to the typed RunSpec, and where a refused value came from. */
class RunSpecsTest {
  @TempDir
  Path tmp;

  private Path conf(String... lines) throws IOException {
    return Files.writeString(tmp.resolve("x.conf"), String.join("\n", lines) + "\n");
  }

  @Test
  void aConfigAndTheBuilderDescribeTheSameRun() throws IOException {
    Path file = conf("name = same",
        "model { layers = [4, 3, 2], activation = tanh, head = softmax, init = he-normal }",
        "optimizer { learning-rate = 0.05, momentum = 0.5, form = ema, schedule = step,"
            + " step-every = 2, step-gamma = 0.5, weight-decay = 0.001 }",
        "training { epochs = 3, batch-size = 16, seed = 9, engine = local, partitions = 2,"
            + " checkpoint-every = \"5 steps\", early-stopping.patience = 2 }",
        "data { scale = 0.5, one-vs-all = 1, validation { holdout = 10, mode = random,"
            + " seed = 4 } }");
    RunSpec fromConfig = RunSpecs.load(file, List.of(), "default").spec();
    RunSpec inCode = RunSpec.builder(new Network(new int[] {4, 3, 2}, List.of(Activation.TANH),
            Head.SOFTMAX_CROSS_ENTROPY))
        .name("same").init(Initializer.HE_NORMAL).seed(9).epochs(3).batchSize(16)
        .optimizer(new RunSpec.Optimizer(MomentumSgd.Form.EMA, 0.5, 0.001,
            new LearningRateSchedule.StepDecay(0.05, 2, 0.5)))
        .patience(2).checkpoints(new RunSpec.Checkpoints(0, 5, ""))
        .engine(RunSpec.Engine.LOCAL).partitions(2)
        .prepare(new RunSpec.DataPrep(0.5, 1, 10, RunSpec.ValidationMode.RANDOM, 4, false))
        .build();
    assertEquals(inCode.toString(), fromConfig.toString());
    assertEquals(inCode.optimizer(), fromConfig.optimizer());
    assertEquals(inCode.checkpoints(), fromConfig.checkpoints());
    assertEquals(inCode.data(), fromConfig.data());
  }

  @Test
  void trainingPrecisionIsTypedRecordedAndCheckedWhereItIsRead() {
    RunSpec f32 = RunSpecs.load(null, List.of("training.checkpoint-every=off",
        "training.precision=float32"), "run").spec();
    assertEquals(Precision.FLOAT32, f32.precision());
    assertEquals(Precision.FLOAT32, f32.network().precision());
    assertEquals("float32", f32.trainingSettings("x").get("precision"));
    RunSpec f64 = RunSpecs.load(null, List.of("training.checkpoint-every=off"), "run").spec();
    assertEquals(Precision.FLOAT64, f64.precision(), "float64 is the default");
    assertEquals("float64", f64.trainingSettings("x").get("precision"));
    GradsparkException e = assertThrows(GradsparkException.class,
        () -> RunSpecs.load(null, List.of("training.precision=float16"), "run"));
    assertTrue(e.getMessage().contains("training.precision"), e.getMessage());
    assertTrue(e.getMessage().contains("float32"), e.getMessage());
  }

  @Test
  void theBuildersDefaultsAreReferenceConfsExceptCheckpoints() {
    RunSpec defaults = RunSpecs.load(null, List.of("training.checkpoint-every=off"), "run").spec();
    RunSpec built = RunSpec.builder(defaults.network()).build();
    assertEquals(defaults.toString(), built.toString());
  }

  @Test
  void theCoreSaysWhatIsWrongAndTheConfigLayerAddsTheKeyFileAndLine() throws IOException {
    Path file = conf("optimizer {", "  momentum = 1.0", "}");
    GradsparkException e = assertThrows(GradsparkException.class,
        () -> RunSpecs.load(file, List.of(), "x"));
    System.out.println(e.getMessage());
    assertTrue(e.getMessage().contains("1.0") && e.getMessage().toLowerCase().contains("momentum"),
        e.getMessage());
    assertTrue(e.getMessage().endsWith("(key `optimizer.momentum`, file " + file + " line 2)"),
        e.getMessage());

    Path layers = conf("model.layers = [784]");
    GradsparkException n = assertThrows(GradsparkException.class,
        () -> RunSpecs.load(layers, List.of(), "x"));
    assertTrue(n.getMessage().endsWith("(key `model.layers`, file " + layers + " line 1)"),
        n.getMessage());

    GradsparkException s = assertThrows(GradsparkException.class,
        () -> RunSpecs.load(null, List.of("optimizer.form=polyak"), "x"));
    assertTrue(s.getMessage().contains("polyak") && s.getMessage().endsWith(
        "(key `optimizer.form`, --set)"), s.getMessage());
  }

  @Test
  void fractionsAreRefusedWhereAWholeNumberIsMeant() {
    for (String set : List.of("model.layers=[784,64.5,10]", "training.epochs=1.5",
        "training.seed=1.5")) {
      GradsparkException e = assertThrows(GradsparkException.class,
          () -> RunSpecs.load(null, List.of(set), "x"), set);
      String key = set.substring(0, set.indexOf('='));
      assertTrue(e.getMessage().startsWith("Setting " + key + " must be"), e.getMessage());
      // the refusal names its own key and origin once, not a second, enclosing one
      assertTrue(e.getMessage().endsWith("(from --set)"), e.getMessage());
    }
  }

  @Test
  void aRunNameIsNotAPath() {
    GradsparkException e = assertThrows(GradsparkException.class,
        () -> RunSpecs.load(null, List.of("name=\"../../etc\""), "x"));
    assertTrue(e.getMessage().startsWith("Setting name must be a plain name"), e.getMessage());
  }
}
