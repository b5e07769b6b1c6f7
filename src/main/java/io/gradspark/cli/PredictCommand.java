package io.gradspark.cli;

import io.gradspark.GradsparkException;
import io.gradspark.api.TrainedModel;
import io.gradspark.data.CsvSource;
import io.gradspark.data.DataFormats;
import io.gradspark.data.DataChecks;
import io.gradspark.data.RowSource;
import io.gradspark.data.SplitTasks;
import io.gradspark.fs.HadoopPaths;
import io.gradspark.io.AtomicFiles;
import io.gradspark.io.PredictionCsv;
import io.gradspark.nn.Network;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "predict", mixinStandardHelpOptions = true,
    description = {
        "Predict with a trained model: one output row per input row with the predicted class and "
            + "the head's outputs (class probabilities; the value for a regression model).",
        "Input: CSV of features (one row per line; --label-column to skip a label column) or "
            + "LIBSVM (*.libsvm, *.svm; labels ignored); a file, a directory of part files or a "
            + "glob (one dataset, its files in name order), local or on any Hadoop file system "
            + "(hdfs://...). Features are scaled as in training.",
        "",
        "Example: submit/gradspark predict --model runs/moons-.../model.npz --input points.csv "
            + "--output predictions.csv"},
    footer = {"", "Output CSV columns: row,predicted,p0,...,p<K-1> (softmax); row,predicted,p1 "
        + "(sigmoid); row,predicted,y0,... (mse with K outputs); row,value (mse, one output). "
        + "row is the 0-based row number in the input (files in name order)."})
final class PredictCommand implements Callable<Integer> {

  @Mixin
  SharedOptions.ModelFile modelFile;

  @Option(names = "--input", required = true, paramLabel = "PATH",
      description = "Rows to predict: LIBSVM (*.libsvm, *.svm), else CSV; either may be "
          + "gzipped (.gz). A file, a directory of part files or a glob, local or any Hadoop "
          + "path (hdfs://...).")
  String input;

  @Mixin
  SharedOptions.OutputFile outputFile;

  @Option(names = "--header", description = "The CSV input starts with a header line (in "
      + "every file of a directory or glob).")
  boolean header;

  @Option(names = "--label-column", paramLabel = "N",
      description = "A CSV column to ignore (0-based, -1 = last), e.g. the label of a test file.")
  Integer labelColumn;

  @Option(names = "--delimiter", paramLabel = "C", defaultValue = ",",
      description = "CSV cell separator (default: ${DEFAULT-VALUE}).")
  char delimiter;

  @Override
  public Integer call() {
    TrainedModel m = TrainedModel.load(modelFile.path);
    Network net = m.network();
    String output = outputFile.path.toString();
    if (HadoopPaths.qualified(output).equals(HadoopPaths.qualified(input))) {
      throw new GradsparkException("--output is the --input file", "write predictions elsewhere");
    }
    RowSource source = DataFormats.byName(input, null, new DataFormats.Csv(
        labelColumn == null ? CsvSource.NO_LABEL : labelColumn, header, delimiter),
        net.inputSize(), true, SplitTasks.LOCAL);
    DataChecks.checkFeatures(source, net.inputSize(), "input");
    double[] out = m.predict(source.load(0, source.rows()));
    int n = source.rows();
    int k = net.outputSize();
    AtomicFiles.write(outputFile.path, "predictions", os -> {
      BufferedWriter w = new BufferedWriter(new OutputStreamWriter(os, StandardCharsets.UTF_8));
      w.write(PredictionCsv.header(net.head(), k));
      PredictionCsv.rows(w, net.head(), k, out, 0);
      w.flush();
    });
    System.out.printf(Locale.ROOT, "Wrote %,d predictions to %s%n", n, outputFile.path);
    return 0;
  }
}
