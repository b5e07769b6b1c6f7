/**
 * Experiments: repeated trials of one configuration that differ only in the seed ({@link
 * io.gradspark.experiment.Trials}, concurrently when there is room), grids of settings for sweeps,
 * statistics, the from-scratch experiments the report reproduces, and the outputs of report and
 * sweep ({@link io.gradspark.experiment.Report}, its prose in the resource report-template.md;
 * {@link io.gradspark.experiment.Sweep}). Engines come in through
 * {@link io.gradspark.api.Engines}, never from Spark directly.
 *
 * <p>Imports: root, nn, data, eval, train, io, api, config, fs. Imported by: cli.
 */
package io.gradspark.experiment;
