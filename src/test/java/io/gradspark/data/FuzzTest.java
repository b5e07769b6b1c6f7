package io.gradspark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.gradspark.GradsparkException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Random damage to small valid files must end in a full load or a GradsparkException, nothing else. */
class FuzzTest {
  private static final int MUTATIONS = 200;
  private static final byte[] TEXT_NOISE = "0123456789.-+e,:# \n\r\tx".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;

  private static byte[] mutate(byte[] good, Random random, boolean text) {
    byte[] b = good.clone();
    switch (random.nextInt(4)) {
      case 0 -> {
        for (int k = 1 + random.nextInt(4); k > 0; k--) {
          b[random.nextInt(b.length)] = noise(random, text);
        }
      }
      case 1 -> b = Arrays.copyOf(b, random.nextInt(b.length));
      case 2 -> {
        int extra = 1 + random.nextInt(20);
        b = Arrays.copyOf(b, b.length + extra);
        for (int i = b.length - extra; i < b.length; i++) {
          b[i] = noise(random, text);
        }
      }
      default -> b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
    }
    return b;
  }

  private static byte noise(Random random, boolean text) {
    return text ? TEXT_NOISE[random.nextInt(TEXT_NOISE.length)] : (byte) random.nextInt();
  }

  /** Runs the mutations; returns how many were refused (the rest loaded every row). */
  private int fuzz(byte[] good, boolean text, long seed, Function<Path, RowSource> open) {
    Random random = new Random(seed);
    return assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
      int refused = 0;
      for (int m = 0; m < MUTATIONS; m++) {
        Path file = TestData.write(dir, "m" + m, mutate(good, random, text));
        try {
          RowSource s = open.apply(file);
          assertEquals(s.rows(), s.load(0, s.rows()).rows());
        } catch (GradsparkException e) {
          assertTrue(e.getMessage() != null && e.hint() != null, "message and hint: " + e.getMessage());
          refused++;
        } catch (Throwable t) {
          fail("mutation " + m + " escaped as " + t, t);
        }
      }
      return refused;
    });
  }

  private void fuzzIdx(boolean gz, long seed) {
    byte[] img = TestData.images(0x803, 12, 4, 3);
    byte[] lab = TestData.labels(0x801, 12);
    Path goodImages = TestData.write(dir, "images", gz ? TestData.gzip(img) : img);
    Path goodLabels = TestData.write(dir, "labels", gz ? TestData.gzip(lab) : lab);
    int a = fuzz(gz ? TestData.gzip(img) : img, false, seed, f -> new IdxSource(f, goodLabels));
    int b = fuzz(gz ? TestData.gzip(lab) : lab, false, seed + 1, f -> new IdxSource(goodImages, f));
    assertTrue(a > 0 && b > 0, "some mutations must be refused");
  }

  @Test
  void rawIdx() {
    fuzzIdx(false, 1);
  }

  @Test
  void gzippedIdx() {
    fuzzIdx(true, 2);
  }

  @Test
  void csv() {
    byte[] good = "a,b,c,label\n1,2.5,-3,0\n4e-2,5,6,1\r\n7,8,9,2\n\n".getBytes(StandardCharsets.UTF_8);
    assertTrue(fuzz(good, true, 3, f -> new CsvSource(f, -1, true, ',')) > 0);
    assertTrue(fuzz(TestData.gzip(good), false, 4, f -> new CsvSource(f, 0, false, ',')) > 0);
  }

  @Test
  void libsvm() {
    byte[] good = "1 1:0.5 3:2 # c\n\n0 2:-1\n2 1:1 2:2 3:3 4:4\n".getBytes(StandardCharsets.UTF_8);
    assertTrue(fuzz(good, true, 5, f -> new LibsvmSource(f, 4)) > 0);
  }
}
