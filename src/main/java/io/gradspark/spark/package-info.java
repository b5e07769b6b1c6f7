/**
 * Spark: the data-parallel {@link io.gradspark.spark.SparkEngine} (each step in a step session,
 * {@link io.gradspark.spark.StepSession}: a barrier job whose tasks stay up from step to step, in
 * the JVM or over TCP; else one job per step; sums merged in a fixed order), its factory {@link io.gradspark.spark.SparkEngines}, training on an
 * application's RDDs ({@link io.gradspark.spark.Gradspark#fit}, {@link
 * io.gradspark.spark.SparkModel} to predict and evaluate on executors, on RDDs or on data
 * paths the tasks read themselves; {@link io.gradspark.spark.PredictionFiles}: predictions as
 * part files, published whole), starting or joining a
 * SparkContext ({@link io.gradspark.spark.SparkContexts}), the counting pass of text data as a
 * job ({@link io.gradspark.spark.SparkSplitTasks}), how the gradient sums come back within the
 * driver's result limit ({@link io.gradspark.spark.AggregationPlan}), checkpoints on any Hadoop
 * file system, and bench's figures ({@link io.gradspark.spark.BenchFigures}, which read the Spark
 * engine's step times). With cli, the only package that imports org.apache.spark or scala (and, with fs,
 * org.apache.hadoop).
 *
 * <p>Step sessions over TCP ({@link io.gradspark.spark.StepSession}'s driver side, {@link
 * io.gradspark.spark.ExchangeTask} on the tasks, {@link io.gradspark.spark.ExchangeTree} placing
 * the canonical tree's merges, {@link io.gradspark.spark.Frames} and {@link
 * io.gradspark.spark.HelloServer} for framing and membership). Threat model: only holders of the
 * session's secret (sent inside the tasks over Spark's authenticated channel) join, proven by its
 * hash on every connection, task to driver and task to task; frames are sealed with AES-GCM under
 * a per-connection key where Spark's own traffic is ({@code spark.network.crypto.enabled}), so an
 * altered, replayed or foreign frame fails; sockets listen only where Spark does (the driver's
 * bind address, the executor's host); strangers' connections are read without blocking and cost
 * no thread. Holders of the secret are trusted, as the application's own code on the executors.
 * See src/site/markdown/distributed-step.md.
 *
 * <p>Imports: root, nn, optim, data, eval, train, io, api, fs. Imported by: cli, and applications.
 */
package io.gradspark.spark;
