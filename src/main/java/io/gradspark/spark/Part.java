package io.gradspark.spark;

import io.gradspark.data.RowBlock;
import java.io.Serializable;

/**
 * One cached partition of a dataset: the rows with dense ids [firstId, firstId + block.rows()).
 * Each partition of the cached RDD holds exactly one Part, built on the executor from the data
 * source; bytesRead is what building it read from files (0 for rows from an RDD).
 */
record Part(int index, int firstId, RowBlock block, long bytesRead) implements Serializable {
  Part(int index, int firstId, RowBlock block) {
    this(index, firstId, block, 0);
  }
}
