/**
 * The library API, which every command uses: {@link io.gradspark.api.RunSpec} (a typed, immutable
 * description of a run, built from a config or with its builder), {@link
 * io.gradspark.api.Datasets} (the one place inputs are prepared), {@link
 * io.gradspark.api.TrainingJob} (the one pipeline: optimizer, starting parameters, engine, loop,
 * summary), {@link io.gradspark.api.TrainedModel} (save, predict, evaluate, ONNX export) and
 * {@link io.gradspark.api.RunOutputs} (a run's files). Engines are made by an {@link
 * io.gradspark.api.Engines} factory: the local one is here, the Spark one in the spark package,
 * so this package does not see Spark. Training on an application's RDDs is {@code
 * io.gradspark.spark.Gradspark}.
 *
 * <p>Imports: root, nn, optim, data, eval, train, io, onnx, fs. Imported by: config, experiment,
 * spark, cli, and applications.
 */
package io.gradspark.api;
