/**
 * The math of a feed-forward network, on one flat parameter vector: {@link
 * io.gradspark.nn.Network} (layout, loss and gradient, forward pass), dense layers with BLAS and
 * their naive references, the first layer on compressed sparse rows ({@link
 * io.gradspark.nn.SparseInput}), five activations, three fused output heads, initialisers, and a finite
 * difference gradient check. No Spark, no files, no settings.
 *
 * <p>Imports: only the root package. Imported by: every package above it.
 */
package io.gradspark.nn;
