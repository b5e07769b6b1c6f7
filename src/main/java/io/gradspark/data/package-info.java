/**
 * Datasets: {@link io.gradspark.data.RowSource}, a small serializable description whose row ranges
 * any JVM can load (IDX, CSV, LIBSVM readers, generated two moons), {@link
 * io.gradspark.data.RowBlock} (rows held compactly), derived views (scale, one-vs-all, ranges,
 * seeded splits), checks of features and labels, and the keyed permutation of the batch schedule.
 *
 * <p>Imports: the root package and nn. Imported by: train, io, api, config, experiment, spark, cli.
 */
package io.gradspark.data;
