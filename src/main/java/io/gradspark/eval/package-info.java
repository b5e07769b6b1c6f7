/**
 * Metrics: the per-epoch record {@link io.gradspark.eval.EpochStats}, loss, accuracy and confusion
 * counts ({@link io.gradspark.eval.Evaluation}, mergeable in any fixed order), and per-class
 * precision, recall and F1.
 *
 * <p>Imports: the root package and nn. Imported by: train, io, api, experiment, spark, cli.
 */
package io.gradspark.eval;
