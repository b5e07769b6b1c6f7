package io.gradspark.train;

/** The datasets an engine may hold. */
public enum DataSplit {
  TRAIN,
  VALIDATION,
  TEST
}
