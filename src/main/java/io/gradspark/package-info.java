/**
 * Gradspark: data-parallel training of feed-forward neural networks on Apache Spark.
 *
 * <p>The root package holds what every package shares: {@link io.gradspark.GradsparkException},
 * an error a user can fix, with a message saying what was wrong and a hint saying how to fix it.
 *
 * <p>The packages, from the leaves up (each may import only those below it):
 * <pre>
 * cli         picocli commands: flags -> settings -> API call -> print, exit code
 * experiment  trials, grids, statistics, the experiments report
 * config      HOCON settings -> the typed run description (the only code that knows key names)
 * spark       the Spark engine, RDD training (Gradspark.fit), Spark context and Hadoop storage
 * api         the run description (RunSpec), the one training pipeline (TrainingJob), models
 * onnx        export of a model to ONNX
 * io          file formats: model.npz, checkpoints, history, plots
 * train       the training loop, batch schedule, local engine
 * data, eval  row sources and blocks; metrics
 * fs          paths on any Hadoop file system (the one place, with spark and cli, that sees Hadoop)
 * nn, optim   the math: network, layers, heads, initialisers; momentum SGD and schedules
 * </pre>
 * Only {@code spark} and {@code cli} import Spark or Scala; only they and {@code fs} import Hadoop. {@code ArchitectureTest}
 * enforces these arrows.
 *
 * <p>Imports: nothing of the project. Imported by: every package.
 */
package io.gradspark;
