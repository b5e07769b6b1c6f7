package io.gradspark.spark;

import java.io.Serializable;
import org.apache.spark.ml.linalg.Vector;

/**
 * One training row of an application's RDD: a label (a class index 0..K-1, 0/1 for a sigmoid
 * head, or the target of a one-output regression), its features, dense or sparse, and its weight
 * in the training loss (finite, >= 0; 1 unless given: see {@code data.class-weights} in
 * reference.conf for the weighted loss; validation rows' weights are not used). A DataFrame
 * of {@code label} / {@code features} columns becomes an RDD of these in one line:
 * <pre>{@code
 * JavaRDD<LabeledVector> rows = df.select("label", "features").javaRDD()
 *     .map(r -> new LabeledVector(r.getDouble(0), r.getAs(1)));
 * }</pre>
 */
public record LabeledVector(double label, Vector features, double weight)
    implements Serializable {
  /** An unweighted row (weight 1). */
  public LabeledVector(double label, Vector features) {
    this(label, features, 1.0);
  }
}
