package io.gradspark.cli;

import io.gradspark.GradsparkException;
import io.gradspark.io.ModelFile;
import io.gradspark.onnx.OnnxExport;
import io.gradspark.fs.HadoopFiles;
import io.gradspark.fs.Outputs;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "export", mixinStandardHelpOptions = true,
    description = {
        "Export a trained model to ONNX, for serving stacks and ONNX Runtime: the whole inference "
            + "path (input scale, dense layers, activations, the head's probabilities or outputs), "
            + "with the network description and training settings as metadata.",
        "",
        "Example: submit/gradspark export --model runs/mnist-.../model.npz --output model.onnx"},
    footer = {"", "Input: 'features' [batch, inputs], raw features as in the training files (the "
        + "model applies the input scale). Output: 'probabilities' [batch, K] (softmax), "
        + "'probability' [batch, 1] (sigmoid, the positive class) or 'outputs' [batch, K] (mse). "
        + "Element type double, or float with --dtype float32. Opset " + OnnxExport.OPSET + "."})
final class ExportCommand implements Callable<Integer> {

  @Mixin
  SharedOptions.ModelFile modelFile;

  @Mixin
  SharedOptions.OutputFile outputFile;

  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "onnx",
      description = "Export format: onnx (default: ${DEFAULT-VALUE}).")
  String format;

  @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "float64",
      description = "float64 (what training computed; default) or float32, for runtimes that "
          + "want it.")
  String dtype;

  @Override
  public Integer call() {
    if (!format.trim().toLowerCase(Locale.ROOT).equals("onnx")) {
      throw new GradsparkException("Unknown --format '" + format + "'",
          "onnx is the only export format");
    }
    OnnxExport.DType type = OnnxExport.DType.parse(dtype);
    String model = modelFile.path;
    String output = outputFile.path;
    if (HadoopFiles.viaHadoop(output)) {
      HadoopFiles.fileSystem(output, "--output"); // refuses a scheme with no file system
    }
    if (HadoopFiles.isDirectory(output)) {
      throw new GradsparkException("--output " + output + " is a directory",
          "give the file to write, e.g. " + HadoopFiles.resolve(output, "model.onnx"));
    }
    Outputs.checkFileTarget(output, "--output");
    Outputs.refuseInput(output, "--output", model, "--model");
    ModelFile.Loaded m = ModelFile.load(model);
    OnnxExport.write(m, type, output);
    System.out.printf(Locale.ROOT,
        "Wrote the ONNX model of %s (%s, opset %d; input '%s', output '%s') to %s%n",
        m.net().describe(), type, OnnxExport.OPSET, OnnxExport.INPUT,
        OnnxExport.outputName(m.net().head()), output);
    return 0;
  }
}
