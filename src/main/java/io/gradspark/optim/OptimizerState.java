package io.gradspark.optim;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An optimizer's whole state, what a checkpoint keeps of it: the method, the steps it has taken
 * (Adam's bias corrections count them), its per-parameter buffers by name (those of
 * {@link Optimizer.Method#buffers()}, each as long as the parameters) and the plateau record
 * ({@link ReduceOnPlateau.State#START} when the schedule has no plateau). The arrays are the
 * caller's to keep: an optimizer hands out copies and copies what it restores.
 */
public record OptimizerState(Optimizer.Method method, long steps, Map<String, double[]> buffers,
    ReduceOnPlateau.State plateau) {

  public OptimizerState {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(plateau, "plateau");
    if (steps < 0) {
      throw new IllegalArgumentException("steps must be >= 0: " + steps);
    }
    if (!buffers.keySet().equals(new java.util.HashSet<>(method.buffers()))) {
      throw new IllegalArgumentException(method.configName() + " keeps " + method.buffers()
          + " but the state has " + buffers.keySet());
    }
    buffers = Collections.unmodifiableMap(new LinkedHashMap<>(buffers));
  }

  /** Momentum SGD's state with this velocity (what version-1 checkpoints hold). */
  public static OptimizerState sgd(double[] velocity) {
    return new OptimizerState(Optimizer.Method.SGD, 0, Map.of("velocity", velocity),
        ReduceOnPlateau.State.START);
  }

  /** The buffer of that name. */
  public double[] buffer(String name) {
    return buffers.get(name);
  }
}
