package io.gradspark.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;

/** Loads an exported model into ONNX Runtime and runs it: the real consumer of the files. */
public final class OnnxRun implements AutoCloseable {
  private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

  private final OrtSession session;

  public OnnxRun(Path model) throws OrtException {
    session = ENV.createSession(model.toString(), new OrtSession.SessionOptions());
  }

  public OrtSession session() {
    return session;
  }

  public NodeInfo input() throws OrtException {
    return session.getInputInfo().values().iterator().next();
  }

  public NodeInfo output() throws OrtException {
    return session.getOutputInfo().values().iterator().next();
  }

  /** The model's single output on n rows x (n, cols) row-major, as doubles. */
  public double[] run(double[] x, int n, int cols, OnnxExport.DType dtype) throws OrtException {
    long[] shape = {n, cols};
    OnnxTensor in;
    if (dtype == OnnxExport.DType.FLOAT64) {
      in = OnnxTensor.createTensor(ENV, DoubleBuffer.wrap(x), shape);
    } else {
      float[] f = new float[x.length];
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) x[i];
      }
      in = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(f), shape);
    }
    try (in; OrtSession.Result r = session.run(Map.of(OnnxExport.INPUT, in))) {
      OnnxTensor out = (OnnxTensor) r.get(0);
      if (dtype == OnnxExport.DType.FLOAT64) {
        DoubleBuffer b = out.getDoubleBuffer();
        double[] y = new double[b.remaining()];
        b.get(y);
        return y;
      }
      FloatBuffer b = out.getFloatBuffer();
      double[] y = new double[b.remaining()];
      for (int i = 0; i < y.length; i++) {
        y[i] = b.get(i);
      }
      return y;
    }
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
