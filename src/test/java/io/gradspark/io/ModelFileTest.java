package io.gradspark.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gradspark.GradsparkException;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model file holding a NaN or infinite weight or bias is refused (predict would print NaN). */
class ModelFileTest {
  private static final Network NET = new Network(new int[] {3, 4, 2}, List.of(Activation.RELU),
      Head.SOFTMAX_CROSS_ENTROPY);

  @TempDir
  Path tmp;

  @Test
  void refusesNonFiniteParameters() {
    double[] params = NET.initialParameters(Initializer.HE_NORMAL, 1);
    Path ok = tmp.resolve("ok.npz");
    ModelFile.save(ok, NET, params, 1.0, -1, Map.of());
    assertArrayEquals(params, ModelFile.load(ok).params());
    // index 5 is in W1, the last index in b2
    int[] where = {5, params.length - 1};
    double[] bad = {Double.NaN, Double.NEGATIVE_INFINITY};
    String[] array = {"W1", "b2"};
    for (int i = 0; i < where.length; i++) {
      double[] p = params.clone();
      p[where[i]] = bad[i];
      Path f = tmp.resolve("bad" + i + ".npz");
      ModelFile.save(f, NET, p, 1.0, -1, Map.of());
      GradsparkException e = assertThrows(GradsparkException.class, () -> ModelFile.load(f));
      int index = i == 0 ? 5 : NET.outputSize() - 1;
      assertEquals("Array '" + array[i] + "' in " + f + " holds " + bad[i] + " at index " + index
          + ", a value that is not finite", e.getMessage());
    }
  }
}
