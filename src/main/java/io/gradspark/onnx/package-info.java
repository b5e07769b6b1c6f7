/**
 * Export of a trained model to ONNX, the format serving stacks load: {@link
 * io.gradspark.onnx.OnnxExport} turns a network and its parameters into a standard ONNX model of the
 * whole inference path (input scale, dense layers, activations, the head's outputs), written with
 * the protobuf classes generated from {@code src/main/proto/onnx.proto}
 * ({@code io.gradspark.onnx.proto}).
 *
 * <p>Imports: root, nn, io; never Spark. Imported by: api ({@code TrainedModel.exportOnnx}) and
 * cli (the {@code export} command).
 */
package io.gradspark.onnx;
