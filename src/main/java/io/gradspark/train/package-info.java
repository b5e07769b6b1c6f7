/**
 * The training loop: {@link io.gradspark.train.Trainer} (the same for every engine), the
 * {@link io.gradspark.train.GradientEngine} contract, the single-JVM {@link
 * io.gradspark.train.LocalEngine}, the coordination-free {@link io.gradspark.train.BatchSchedule}
 * and the batch kernels both engines share.
 *
 * <p>Imports: root, nn, optim, data, eval. Imported by: io, api, config, experiment, spark, cli.
 */
package io.gradspark.train;
