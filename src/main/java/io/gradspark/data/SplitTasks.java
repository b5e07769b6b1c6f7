package io.gradspark.data;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one task per split of a dataset (the counting pass of a text dataset): one after another in
 * this JVM ({@link #LOCAL}), or as a Spark job whose tasks the executors run, each reading its own
 * split (the Spark layer's implementation). Results come back in task order.
 */
public interface SplitTasks {

  /** One task: the result for split i. Serializable, as it is shipped to executors. */
  interface Task<R extends Serializable> extends Serializable {
    R run(int split);
  }

  /** The results of task(0) .. task(n - 1), in that order; description names the job. */
  <R extends Serializable> List<R> run(String description, int n, Task<R> task);

  /** Every task in this JVM, in order. */
  SplitTasks LOCAL = new SplitTasks() {
    @Override
    public <R extends Serializable> List<R> run(String description, int n, Task<R> task) {
      List<R> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        out.add(task.run(i));
      }
      return out;
    }
  };
}
