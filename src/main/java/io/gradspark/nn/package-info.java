/**
 * The math of a feed-forward network, on one flat parameter vector: {@link
 * io.gradspark.nn.Network} (layout, loss and gradient, forward pass), dense layers with BLAS
 * ({@link io.gradspark.nn.Blas}: which implementation, chosen by measurement) and their naive
 * references, the first layer on compressed sparse rows ({@link
 * io.gradspark.nn.SparseInput}), ten activations (with {@link io.gradspark.nn.Erf} for the exact GELU), three fused
 * output heads (label smoothing for softmax), weighted rows, dropout with hashed masks ({@link
 * io.gradspark.nn.Dropout}), the float32 training pass ({@link io.gradspark.nn.Precision}:
 * sgemm on float buffers, master weights in double), initialisers, and a finite difference
 * gradient check. No Spark, no
 * files, no settings.
 *
 * <p>Imports: only the root package. Imported by: every package above it.
 */
package io.gradspark.nn;
