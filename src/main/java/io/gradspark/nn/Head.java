package io.gradspark.nn;

import io.gradspark.GradsparkException;
import io.gradspark.Named;

/**
 * The output layer's activation fused with its loss. Each head turns the last layer's logits z into a
 * per-row loss and the gradient of that loss with respect to z, which for all three is {@code p - y}
 * (p = the head's output, y = the target). Fusing them keeps the gradient exact and the loss finite:
 * see {@link Heads} for the numerical-stability argument of each.
 */
public enum Head implements Named {
  /** softmax + categorical cross-entropy; K >= 2 outputs, label = class index in [0, K). */
  SOFTMAX_CROSS_ENTROPY("softmax", "multiclass"),
  /** sigmoid + binary cross-entropy; one output, label 0 or 1. */
  SIGMOID_BINARY_CROSS_ENTROPY("sigmoid", "binary, one output"),
  /**
   * identity + squared error, loss = 1/2 * sum_j (z_j - t_j)^2 per row. One output: t = the label
   * (regression). K > 1 outputs: t = one-hot of the class index label (the classic MSE classifier).
   */
  IDENTITY_MSE("mse", "regression or one-hot");

  private final String configName;
  private final String note;

  Head(String configName, String note) {
    this.configName = configName;
    this.note = note;
  }

  @Override
  public String configName() {
    return configName;
  }

  @Override
  public String note() {
    return note;
  }

  /** By config name: softmax, sigmoid or mse. */
  public static Head parse(String name) {
    return Named.parse(values(), name, "output head");
  }

  /**
   * Number of classes the labels of this head range over for an output layer of {@code outputs}
   * units: K for softmax and one-hot MSE, 2 for the binary head (0/1), 0 for single-output
   * regression (no classes, no accuracy).
   */
  public int classes(int outputs) {
    return switch (this) {
      case SOFTMAX_CROSS_ENTROPY -> outputs;
      case SIGMOID_BINARY_CROSS_ENTROPY -> 2;
      case IDENTITY_MSE -> outputs == 1 ? 0 : outputs;
    };
  }

  /** Refuses an output size this head cannot use, saying why. */
  void checkOutputs(int outputs) {
    if (this == SOFTMAX_CROSS_ENTROPY && outputs < 2) {
      throw new GradsparkException(
          "A softmax head needs at least 2 outputs but the last layer has " + outputs,
          "for a binary problem with one output unit use the sigmoid head");
    }
    if (this == SIGMOID_BINARY_CROSS_ENTROPY && outputs != 1) {
      throw new GradsparkException(
          "A sigmoid (binary cross-entropy) head needs exactly 1 output but the last layer has "
              + outputs,
          "set the last layer size to 1, or use the softmax head for " + outputs + " classes");
    }
  }
}
