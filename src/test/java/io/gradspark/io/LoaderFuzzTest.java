package io.gradspark.io;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import io.gradspark.GradsparkException;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import io.gradspark.train.TrainingState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model and checkpoint loaders on random and mutated bytes: each input either loads or is
 * refused with the project's own error type; never another exception, never a hang.
 */
class LoaderFuzzTest {
  private static final Network NET = new Network(new int[] {5, 4, 3}, List.of(Activation.RELU),
      Head.SOFTMAX_CROSS_ENTROPY);

  @TempDir
  Path tmp;

  private int[] fuzz(byte[] valid, long seed, int cases, Consumer<Path> loader) throws Exception {
    Random rng = new Random(seed);
    int loaded = 0;
    int refused = 0;
    Path f = tmp.resolve("fuzz.npz");
    for (int c = 0; c < cases; c++) {
      byte[] b;
      switch (c % 4) {
        case 0 -> { // random bytes
          b = new byte[rng.nextInt(2000)];
          rng.nextBytes(b);
        }
        case 1 -> { // flipped bytes
          b = valid.clone();
          for (int i = 0, n = 1 + rng.nextInt(4); i < n; i++) {
            b[rng.nextInt(b.length)] ^= (byte) (1 + rng.nextInt(255));
          }
        }
        case 2 -> b = java.util.Arrays.copyOf(valid, rng.nextInt(valid.length)); // truncated
        default -> { // garbage appended
          b = java.util.Arrays.copyOf(valid, valid.length + 1 + rng.nextInt(100));
          for (int i = valid.length; i < b.length; i++) {
            b[i] = (byte) rng.nextInt(256);
          }
        }
      }
      Files.write(f, b);
      try {
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> loader.accept(f));
        loaded++;
      } catch (GradsparkException expected) {
        refused++;
      } catch (Throwable t) {
        fail("case " + c + ": unexpected " + t, t);
      }
    }
    return new int[] {loaded, refused};
  }

  @Test
  void modelLoaderOnlyLoadsOrRefuses() throws Exception {
    Path model = tmp.resolve("model.npz");
    ModelFile.save(model, NET, NET.initialParameters(Initializer.HE_NORMAL, 1), 0.5, -1, Map.of());
    int[] r = fuzz(Files.readAllBytes(model), 11, 400, ModelFile::load);
    System.out.printf("model.npz fuzz: 400 inputs, %d loaded, %d refused%n", r[0], r[1]);
  }

  @Test
  void checkpointLoaderOnlyLoadsOrRefuses() throws Exception {
    Path ckpt = tmp.resolve("ckpt.npz");
    double[] params = NET.initialParameters(Initializer.HE_NORMAL, 1);
    CheckpointFile.save(ckpt, TrainingState.START, params);
    int[] r = fuzz(Files.readAllBytes(ckpt), 12, 400,
        p -> CheckpointFile.load(p, NET.numParams()));
    System.out.printf("checkpoint fuzz: 400 inputs, %d loaded, %d refused%n", r[0], r[1]);
  }
}
