package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import io.gradspark.api.RunSpec;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Network;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Issue 27, class 7: the Java API refuses NaN, infinities, null rows and vectors and empty
 * datasets with a GradsparkException naming the dataset and row, not a divergence, finite metrics
 * of rows it never saw, confident probabilities or a raw SparkException; evaluate's messages name
 * the evaluation RDD, not a "train RDD".
 */
class ApiInputChecksTest {
  private static final Network NET = new Network(new int[] {3, 4, 2},
      List.of(Activation.RELU), Head.SOFTMAX_CROSS_ENTROPY);

  private static RunSpec spec() {
    return RunSpec.builder(NET).epochs(1).batchSize(8).build();
  }

  private static List<LabeledVector> rows(int n) {
    List<LabeledVector> rows = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      rows.add(new LabeledVector(r % 2, Vectors.dense(r % 3, (r * 7) % 5 - 2.0, 0.5)));
    }
    return rows;
  }

  private static JavaRDD<LabeledVector> rdd(List<LabeledVector> rows) {
    return SharedSpark.get().parallelize(rows, 2);
  }

  /** The call is refused with a GradsparkException (not Spark's) whose message has every part. */
  private static GradsparkException refused(Executable call, String... parts) {
    GradsparkException e = assertThrows(GradsparkException.class, call);
    System.out.println(e.getMessage() + " / " + e.hint());
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), "expected '" + p + "' in: " + e.getMessage());
    }
    assertNotNull(e.hint(), "a hint for " + e.getMessage());
    return e;
  }

  @Test
  void nonFiniteFeaturesAreRefusedInTrainingAndValidationRows() {
    JavaSparkContext sc = SharedSpark.get();
    for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY}) {
      List<LabeledVector> train = rows(20);
      train.set(13, new LabeledVector(1, Vectors.dense(1, bad, 0)));
      refused(() -> Gradspark.fit(sc, rdd(train), null, spec()),
          "training RDD: row 14 (1-based) has feature " + bad + " at index 1");
      List<LabeledVector> val = rows(10);
      val.set(4, new LabeledVector(0, Vectors.sparse(3, new int[] {2}, new double[] {bad})));
      refused(() -> Gradspark.fit(sc, rdd(rows(20)), rdd(val), spec()),
          "validation RDD: row 5 (1-based) has feature " + bad + " at index 2");
    }
  }

  @Test
  void nonFiniteFeaturesAreRefusedInRowsCachedSparse() {
    // 200 features, one nonzero a row: under the density at which rows are cached as compressed
    // sparse rows, where each row is checked on its nonzeros only
    Network wide = new Network(new int[] {200, 4, 2}, List.of(Activation.RELU),
        Head.SOFTMAX_CROSS_ENTROPY);
    RunSpec spec = RunSpec.builder(wide).epochs(1).batchSize(8).build();
    for (double bad : new double[] {Double.NaN, Double.NEGATIVE_INFINITY}) {
      List<LabeledVector> train = new ArrayList<>();
      for (int r = 0; r < 20; r++) {
        train.add(new LabeledVector(r % 2,
            Vectors.sparse(200, new int[] {(r * 37) % 200}, new double[] {1.0 + r})));
      }
      train.set(11, new LabeledVector(1, Vectors.sparse(200, new int[] {5, 150},
          new double[] {0.5, bad})));
      refused(() -> Gradspark.fit(SharedSpark.get(), rdd(train), null, spec),
          "training RDD: row 12 (1-based) has feature " + bad + " at index 150");
    }
  }

  @Test
  void nullRowsVectorsAndEmptyDatasetsAreRefusedByName() {
    JavaSparkContext sc = SharedSpark.get();
    List<LabeledVector> nullRow = rows(20);
    nullRow.set(17, null);
    refused(() -> Gradspark.fit(sc, rdd(nullRow), null, spec()),
        "training RDD: row 18 (1-based) is null");
    List<LabeledVector> nullVector = rows(20);
    nullVector.set(2, new LabeledVector(1, null));
    refused(() -> Gradspark.fit(sc, rdd(nullVector), null, spec()),
        "training RDD: row 3 (1-based) has no feature vector");
    refused(() -> Gradspark.fit(sc, rdd(rows(20)), rdd(List.of()), spec()),
        "The validation RDD is empty");
    refused(() -> Gradspark.fit(sc, null, null, spec()), "The training RDD is null");
  }

  @Test
  void evaluateAndPredictRefuseWhatTrainingRefusesAndNameTheirOwnData() {
    JavaSparkContext sc = SharedSpark.get();
    SparkModel model = Gradspark.fit(sc, rdd(rows(20)), null, spec());
    List<LabeledVector> bad = rows(10);
    bad.set(6, new LabeledVector(0, Vectors.dense(0, 0, Double.NaN)));
    GradsparkException e = refused(() -> model.evaluate(rdd(bad)),
        "evaluation RDD: row 7 (1-based) has feature NaN at index 2");
    assertFalse(e.getMessage().contains("train"), e.getMessage());
    GradsparkException empty = refused(() -> model.evaluate(rdd(List.of())),
        "The evaluation RDD is empty");
    assertFalse(empty.getMessage().contains("train"), empty.getMessage());

    List<Vector> features = new ArrayList<>();
    for (int r = 0; r < 6; r++) {
      features.add(Vectors.dense(r, 1, 1));
    }
    features.set(4, Vectors.dense(1, Double.NEGATIVE_INFINITY, 1));
    JavaRDD<Vector> scored = model.predict(sc.parallelize(features, 2));
    // lazy: the action fails, its cause naming the row, not a confident probability for it
    Exception job = assertThrows(Exception.class, scored::collect);
    GradsparkException cause = GradsparkException.find(job);
    assertNotNull(cause, "a GradsparkException under " + job);
    System.out.println(cause.getMessage() + " / " + cause.hint());
    assertTrue(cause.getMessage().contains("The RDD to predict: row 2 (1-based) of partition 1"
        + " has feature -Infinity at index 1"), cause.getMessage());
    features.set(4, null);
    Exception nullJob = assertThrows(Exception.class,
        () -> model.predict(sc.parallelize(features, 2)).collect());
    assertTrue(GradsparkException.find(nullJob).getMessage().contains("has no feature vector"),
        String.valueOf(GradsparkException.find(nullJob)));
    features.set(4, Vectors.dense(1, 2, 3));
    assertEquals(6, model.predict(sc.parallelize(features, 2)).collect().size());
  }
}
