/**
 * File formats: model.npz (NumPy-readable, safe to open), checkpoints, history CSV and JSON,
 * plots, predict's CSV lines, and atomic writes (a temporary name, then a rename).
 *
 * <p>Imports: root, nn, optim, data, eval, train, fs. Imported by: onnx, api, experiment, spark, cli.
 */
package io.gradspark.io;
