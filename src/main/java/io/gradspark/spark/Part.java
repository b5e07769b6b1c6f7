package io.gradspark.spark;

import io.gradspark.data.RowBlock;
import java.io.Serializable;

/**
 * One cached partition of a dataset: the rows with dense ids [firstId, firstId + block.rows()).
 * Each partition of the cached RDD holds exactly one Part, built on the executor from the data source.
 */
record Part(int index, int firstId, RowBlock block) implements Serializable {}
