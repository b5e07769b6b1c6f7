/**
 * Datasets: {@link io.gradspark.data.RowSource}, a small serializable description whose row ranges
 * any JVM can load (IDX, CSV, LIBSVM and Parquet readers on any Hadoop path, generated two
 * moons; Parquet row groups are its splits, counted from the footers); text data
 * is cut into splits, numbered by a counting pass that {@link io.gradspark.data.SplitTasks} runs
 * (in this JVM, or on the executors), and each load reads only the splits that hold its rows;
 * {@link
 * io.gradspark.data.RowBlock} (rows held compactly: bytes, doubles, or compressed sparse rows,
 * {@link io.gradspark.data.SparseRows}; with optional row weights), derived views (scale,
 * one-vs-all, ranges, seeded splits, class weights: {@link io.gradspark.data.ClassWeights}),
 * checks of features and labels, and the keyed permutation of the batch schedule.
 *
 * <p>Imports: the root package, nn and fs. Imported by: train, io, api, config, experiment,
 * spark, cli.
 */
package io.gradspark.data;
