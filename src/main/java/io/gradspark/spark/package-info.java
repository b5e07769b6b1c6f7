/**
 * Spark: the data-parallel {@link io.gradspark.spark.SparkEngine} (each step in a step session,
 * {@link io.gradspark.spark.session.StepSession}: a barrier job whose tasks stay up from step to step, in
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
 * <p>Step sessions (tasks kept from step to step; their transport, its framing and its threat
 * model) are in {@code io.gradspark.spark.session}; what a task computes for its partition, a
 * step's sums and an evaluation's, is {@code PartitionSum} here.
 *
 * <p>Imports: root, nn, optim, data, eval, train, io, api, fs, spark.session. Imported by: cli,
 * and applications.
 */
package io.gradspark.spark;
