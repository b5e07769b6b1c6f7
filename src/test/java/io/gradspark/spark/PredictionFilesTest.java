package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PredictionFilesTest {
  @TempDir Path tmp;

  /**
   * CI's flaky ScoreOnSparkTest: a bad line failed one task, collect threw at once, the driver
   * removed the staging directory while another task still wrote its part, and the directory
   * came back. The failure must reach the driver only once the job's other tasks have ended.
   */
  @Test
  void aFailedJobIsThrownOnlyOnceItsOtherTasksHaveEnded() {
    JavaSparkContext sc = SharedSpark.get();
    String ended = tmp.resolve("slow-task-ended").toString();
    JavaRDD<Integer> job = sc.parallelize(List.of(0, 1), 2).map(i -> {
      if (i == 0) {
        throw new IllegalStateException("a bad line");
      }
      Thread.sleep(1500);
      Files.createFile(Paths.get(ended));
      return i;
    });
    long start = System.nanoTime();
    Exception e = assertThrows(Exception.class, () -> PredictionFiles.collectAll(sc, job));
    System.out.printf("failure thrown after %.0f ms%n", (System.nanoTime() - start) / 1e6);
    assertTrue(String.valueOf(e.getMessage()).contains("a bad line"), String.valueOf(e));
    assertTrue(Files.exists(Paths.get(ended)), "the slow task ended before the failure came");
  }
}
