/**
 * Export of a trained model to ONNX, the format serving stacks load: {@link
 * io.gradspark.onnx.OnnxExport} turns a network and its parameters into a standard ONNX model of the
 * whole inference path (input scale, dense layers, activations, the head's outputs), written with
 * the protobuf classes generated from {@code src/main/proto/onnx.proto}
 * ({@code io.gradspark.onnx.proto}).
 *
 * <p>Dependencies: this package may import {@code io.gradspark}, {@code io.gradspark.nn} and
 * {@code io.gradspark.io}, and never Spark. Only {@code io.gradspark.cli} (the {@code export}
 * command) and a library API package may import it.
 */
package io.gradspark.onnx;
