package io.gradspark.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model and checkpoint loaders on random and mutated bytes: each input either loads exactly the
 * original weights or is refused with the project's own error type naming the file; never another
 * exception, never a hang. Random bytes, truncations and appended garbage must all be refused; of
 * the byte flips, only those in zip metadata (names, dates, directory: under 15% of these small
 * files) can load, so at least 3 in 4 flipped inputs must be refused.
 */
class LoaderFuzzTest {
  private static final Network NET = new Network(new int[] {5, 4, 3}, List.of(Activation.RELU),
      Head.SOFTMAX_CROSS_ENTROPY);

  @TempDir
  Path tmp;

  /** loader returns the parameters it loaded. */
  private void fuzz(byte[] valid, double[] original, long seed, int cases,
      Function<Path, double[]> loader) throws Exception {
    Random rng = new Random(seed);
    int[] loaded = new int[4];
    int[] refused = new int[4];
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
        case 2 -> b = Arrays.copyOf(valid, rng.nextInt(valid.length)); // truncated
        default -> { // garbage appended
          b = Arrays.copyOf(valid, valid.length + 1 + rng.nextInt(100));
          for (int i = valid.length; i < b.length; i++) {
            b[i] = (byte) rng.nextInt(256);
          }
        }
      }
      Files.write(f, b);
      double[] params;
      try {
        params = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> loader.apply(f));
      } catch (GradsparkException expected) {
        assertTrue(expected.getMessage().contains(f.toString()), expected.getMessage());
        refused[c % 4]++;
        continue;
      } catch (Throwable t) {
        fail("case " + c + ": unexpected " + t, t);
        return;
      }
      assertArrayEquals(original, params, "case " + c + " loaded other weights");
      loaded[c % 4]++;
    }
    System.out.printf("%d inputs: refused %d of %d random, %d of %d flipped, %d of %d truncated,"
        + " %d of %d with garbage appended%n", cases, refused[0], refused[0] + loaded[0],
        refused[1], refused[1] + loaded[1], refused[2], refused[2] + loaded[2], refused[3],
        refused[3] + loaded[3]);
    assertEquals(0, loaded[0], "random bytes loaded");
    assertEquals(0, loaded[2], "truncated files loaded");
    assertEquals(0, loaded[3], "files with garbage appended loaded");
    assertTrue(refused[1] >= 0.75 * (refused[1] + loaded[1]), "too few flips refused");
  }

  @Test
  void modelLoaderOnlyLoadsOrRefuses() throws Exception {
    Path model = tmp.resolve("model.npz");
    double[] params = NET.initialParameters(Initializer.HE_NORMAL, 1);
    ModelFile.save(model, NET, params, 0.5, -1, Map.of());
    fuzz(Files.readAllBytes(model), params, 11, 400, p -> ModelFile.load(p).params());
  }

  @Test
  void checkpointLoaderOnlyLoadsOrRefuses() throws Exception {
    Path ckpt = tmp.resolve("ckpt.npz");
    double[] params = NET.initialParameters(Initializer.HE_NORMAL, 1);
    CheckpointFile.save(ckpt, TrainingState.START, params);
    fuzz(Files.readAllBytes(ckpt), params, 12, 400,
        p -> CheckpointFile.load(p, NET.numParams()).params());
  }
}
