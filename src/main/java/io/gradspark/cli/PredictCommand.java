package io.gradspark.cli;

import io.gradspark.api.TrainedModel;
import io.gradspark.data.CsvSource;
import io.gradspark.data.DataChecks;
import io.gradspark.data.DataFormats;
import io.gradspark.data.RowSource;
import io.gradspark.data.SplitTasks;
import io.gradspark.fs.HadoopFiles;
import io.gradspark.fs.Outputs;
import io.gradspark.io.AtomicFiles;
import io.gradspark.io.PredictionCsv;
import io.gradspark.nn.Network;
import io.gradspark.spark.Gradspark;
import io.gradspark.spark.PredictionFiles;
import io.gradspark.spark.SparkSplitTasks;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
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
        "In this JVM by default (small files): --output is one file. With --master, on Spark: "
            + "each task reads and scores its own rows and writes them as a part file, so "
            + "--output is a new directory of part-00000.csv, part-00001.csv, ... in row order "
            + "and _SUCCESS; or, with --single-file, one file.",
        "",
        "Example: submit/gradspark predict --model runs/moons-.../model.npz --input points.csv "
            + "--output predictions.csv",
        "         submit/gradspark predict --master spark://host:7077 --partitions 16 "
            + "--model model.npz --input hdfs://nn:8020/data/points/ --output "
            + "hdfs://nn:8020/out/predictions"},
    footer = {"", "Output CSV columns: row,predicted,p0,...,p<K-1> (softmax); row,predicted,p1 "
        + "(sigmoid); row,predicted,y0,... (mse with K outputs); row,value (mse, one output). "
        + "row is the 0-based row number in the input (files in name order).",
        "",
        "On Spark, the header is in part-00000.csv only: the parts concatenated in name order "
            + "(cat, hdfs dfs -getmerge) are byte for byte the one-JVM output. The directory "
            + "appears whole or not at all (the tasks write into a hidden .NAME.partial-... "
            + "directory next to it, renamed when every part is there); an --output that exists "
            + "and is not an empty directory is refused before any work. On a cluster, "
            + "--output must be on a file system the driver and every executor see (HDFS, "
            + "object storage, a shared mount). --single-file: the "
            + "executors still score in parallel, then the driver streams the parts in order "
            + "into one file (replacing an existing file, as in this JVM)."})
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

  @Mixin
  SharedOptions.Scoring scoring;

  @Option(names = "--single-file",
      description = "With --master: write --output as one file (the parts, streamed in order by "
          + "the driver) instead of a directory of part files.")
  boolean singleFile;

  @Override
  public Integer call() {
    scoring.check();
    String output = outputFile.path;
    if (HadoopFiles.viaHadoop(output)) {
      HadoopFiles.fileSystem(output, "--output"); // refuses a scheme with no file system
    }
    if (!scoring.onSpark() || singleFile) {
      Outputs.checkFileTarget(output, "--output");
    }
    Outputs.refuseInput(output, "--output", input, "--input");
    if (scoring.onSpark()) {
      PredictionFiles.checkTarget(output, singleFile); // before any work
    }
    TrainedModel m = TrainedModel.load(modelFile.path);
    Network net = m.network();
    DataFormats.Csv csv = new DataFormats.Csv(
        labelColumn == null ? CsvSource.NO_LABEL : labelColumn, header, delimiter);
    if (scoring.onSpark()) {
      return onSpark(m, csv, output);
    }
    RowSource source = DataFormats.byName(input, null, csv, net.inputSize(), true,
        SplitTasks.LOCAL);
    DataChecks.checkModelInput(source, net.inputSize(), "input");
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

  /** The distributed path: the executors count, read, score and write the rows. */
  private int onSpark(TrainedModel m, DataFormats.Csv csv, String output) {
    try (SparkHolder spark = new SparkHolder(scoring.master, "predict")) {
      JavaSparkContext sc = spark.sc();
      RowSource source = DataFormats.byName(input, null, csv, m.network().inputSize(), true,
          new SparkSplitTasks(sc));
      DataChecks.checkModelInput(source, m.network().inputSize(), "input");
      PredictionFiles files = PredictionFiles.create(output, singleFile);
      PredictionFiles.Written w;
      AutoCloseable unregister = Signals.onSignal(files::discard);
      try {
        w = files.write(Gradspark.of(sc, m), source, scoring.partitions);
      } finally {
        closeQuietly(unregister);
      }
      System.out.printf(Locale.ROOT, "Wrote %,d predictions to %s (%s, scored in %d partitions "
          + "on %s)%n", w.rows(), w.target(), singleFile ? "one file"
          : w.parts() + " part files in row order, and " + PredictionFiles.SUCCESS, w.parts(),
          sc.master());
      return 0;
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // unregistering cannot fail
    }
  }
}
