/**
 * Momentum SGD (heavy-ball, EMA, Nesterov) with weight decay on weights only, and the learning
 * rate schedules. Runs on the driver; owns the velocity.
 *
 * <p>Imports: only the root package. Imported by: train, io, api, config, spark, cli.
 */
package io.gradspark.optim;
