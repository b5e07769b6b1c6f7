package io.gradspark.cli;

import io.gradspark.GradsparkException;
import io.gradspark.api.TrainedModel;
import io.gradspark.data.CsvSource;
import io.gradspark.data.DataFormats;
import io.gradspark.data.DataChecks;
import io.gradspark.data.RowSource;
import io.gradspark.fs.HadoopFiles;
import io.gradspark.io.AtomicFiles;
import io.gradspark.io.ModelFile;
import io.gradspark.nn.Head;
import io.gradspark.nn.Heads;
import io.gradspark.nn.Network;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
            + "LIBSVM (*.libsvm, *.svm; labels ignored). Features are scaled as in training.",
        "",
        "Example: submit/gradspark predict --model runs/moons-.../model.npz --input points.csv "
            + "--output predictions.csv"},
    footer = {"", "Output CSV columns: row,predicted,p0,...,p<K-1> (softmax); row,predicted,p1 "
        + "(sigmoid); row,predicted,y0,... (mse with K outputs); row,value (mse, one output)."})
final class PredictCommand implements Callable<Integer> {

  @Mixin
  SharedOptions.ModelFile modelFile;

  @Option(names = "--input", required = true, paramLabel = "FILE",
      description = "Rows to predict: LIBSVM (*.libsvm, *.svm), else CSV; either may be "
          + "gzipped (.gz).")
  Path input;

  @Mixin
  SharedOptions.OutputFile outputFile;

  @Option(names = "--header", description = "The CSV input starts with a header line.")
  boolean header;

  @Option(names = "--label-column", paramLabel = "N",
      description = "A CSV column to ignore (0-based, -1 = last), e.g. the label of a test file.")
  Integer labelColumn;

  @Option(names = "--delimiter", paramLabel = "C", defaultValue = ",",
      description = "CSV cell separator (default: ${DEFAULT-VALUE}).")
  char delimiter;

  @Override
  public Integer call() {
    if (HadoopFiles.viaHadoop(outputFile.path)) {
      HadoopFiles.fileSystem(outputFile.path, "--output"); // refuses a scheme with no file system
    }
    TrainedModel m = TrainedModel.load(modelFile.path);
    Network net = m.network();
    RowSource source = DataFormats.byName(input, null, new DataFormats.Csv(
        labelColumn == null ? CsvSource.NO_LABEL : labelColumn, header, delimiter),
        net.inputSize(), true);
    DataChecks.checkFeatures(source, net.inputSize(), "input");
    if (HadoopFiles.location(outputFile.path).equals(HadoopFiles.location(HadoopFiles.of(input)))) {
      throw new GradsparkException("--output is the --input file", "write predictions elsewhere");
    }
    double[] out = m.predict(source.load(0, source.rows()));
    int n = source.rows();
    int k = net.outputSize();
    AtomicFiles.write(outputFile.path, "predictions", os -> {
      BufferedWriter w = new BufferedWriter(new OutputStreamWriter(os, StandardCharsets.UTF_8));
      w.write(headerLine(net.head(), k));
      for (int r = 0; r < n; r++) {
        w.write(Integer.toString(r));
        if (!(net.head() == Head.IDENTITY_MSE && k == 1)) {
          w.write(',');
          w.write(Integer.toString(Heads.predictedClass(net.head(), out, r * k, k)));
        }
        for (int j = 0; j < k; j++) {
          w.write(',');
          w.write(Double.toString(out[r * k + j]));
        }
        w.write('\n');
      }
      w.flush();
    });
    System.out.printf(Locale.ROOT, "Wrote %,d predictions to %s%n", n, outputFile.path);
    return 0;
  }

  private static String headerLine(Head head, int k) {
    StringBuilder b = new StringBuilder("row");
    if (head == Head.IDENTITY_MSE && k == 1) {
      return b.append(",value\n").toString();
    }
    b.append(",predicted");
    if (head == Head.SIGMOID_BINARY_CROSS_ENTROPY) {
      return b.append(",p1\n").toString();
    }
    for (int j = 0; j < k; j++) {
      b.append(head == Head.IDENTITY_MSE ? ",y" : ",p").append(j);
    }
    return b.append('\n').toString();
  }
}
