/**
 * The optimizers ({@link io.gradspark.optim.Optimizer}: momentum SGD in three forms, Adam, AdamW,
 * RMSprop, Adagrad) with weight decay on weights only and gradient clipping, and the learning
 * rate schedules (a plateau schedule's record included). Runs on the driver; owns the
 * optimizer's state.
 *
 * <p>Imports: only the root package. Imported by: train, io, api, config, spark, cli.
 */
package io.gradspark.optim;
