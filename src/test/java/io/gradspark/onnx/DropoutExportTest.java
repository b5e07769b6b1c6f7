package io.gradspark.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dropout is training only: a network with it exports the very ONNX bytes of one without. */
class DropoutExportTest {
  @TempDir Path tmp;

  @Test
  void dropoutLeavesTheExportUnchanged() throws IOException {
    Network plain = new Network(new int[] {5, 8, 6, 3}, List.of(Activation.RELU),
        Head.SOFTMAX_CROSS_ENTROPY);
    double[] params = plain.initialParameters(Initializer.HE_NORMAL, 1);
    Path a = tmp.resolve("plain.onnx");
    Path b = tmp.resolve("dropout.onnx");
    OnnxExport.write(plain, params, 1.0, Map.of(), OnnxExport.DType.FLOAT64, a);
    OnnxExport.write(plain.withDropout(0.5, 0.2), params, 1.0, Map.of(), OnnxExport.DType.FLOAT64,
        b);
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
  }
}
