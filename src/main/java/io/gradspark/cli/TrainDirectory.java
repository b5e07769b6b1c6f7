package io.gradspark.cli;

import io.gradspark.fs.HadoopFiles;
import io.gradspark.spark.HadoopCheckpointStore;
import java.util.List;
import java.util.Set;

/**
 * A train run's directory while it trains: owned exclusively ({@link RunDirectory#claim}), and
 * tidied when the run does not finish (an error, a divergence, a signal). What a run that did not
 * finish leaves: config.conf and checkpoints/ when there is a checkpoint to resume from (the final
 * outputs written so far and temporary files are removed), model-last-good.npz when training
 * diverged; with neither, nothing (the directory is removed when this run created it). The
 * directory is a local one or one on any Hadoop file system (a URI), the same either way.
 */
final class TrainDirectory implements AutoCloseable {
  /** What an unfinished run keeps, besides the lock file. */
  private static final Set<String> KEPT =
      Set.of("config.conf", "checkpoints", "model-last-good.npz");

  private final String target;
  private final boolean created;
  private final HadoopCheckpointStore checkpoints;
  private final AutoCloseable lock;
  private final AutoCloseable unregister;
  private boolean done;
  private boolean closed;
  private String left;
  private String unreachable;

  TrainDirectory(String target, boolean fresh, HadoopCheckpointStore checkpoints) {
    this.target = target;
    this.created = !HadoopFiles.exists(target);
    this.checkpoints = checkpoints;
    this.lock = RunDirectory.claim(target, fresh);
    this.unregister = Signals.onSignal(this::interrupted);
  }

  /** The run finished: its outputs are complete. */
  synchronized void done() {
    done = true;
  }

  @Override
  public void close() {
    if (Signals.received() != null) {
      tidy(); // the signal's action reports
      return;
    }
    try {
      unregister.close();
    } catch (Exception ignored) {
      // cannot fail
    }
    tidy();
    if (!done) {
      System.err.println("The run did not finish. " + left);
    }
  }

  /** A signal: the command's own thread gets a moment to unwind (and tidy) itself first. */
  private void interrupted() {
    long deadline = System.nanoTime() + 3_000_000_000L;
    synchronized (this) {
      while (!closed && System.nanoTime() < deadline) {
        try {
          wait(100);
        } catch (InterruptedException e) {
          break;
        }
      }
    }
    tidy();
    System.err.println("Interrupted (" + Signals.received() + "). " + left);
  }

  private synchronized void tidy() {
    if (closed) {
      return;
    }
    closed = true;
    notifyAll();
    checkpoints.removeTemporaryFiles();
    if (done) {
      left = "The run had finished: outputs in " + target;
    } else if (unreachable() != null) {
      // the store's listing failed: "no checkpoint" would be a guess, and removing is unsafe
      String wrote = checkpoints.lastSaved();
      left = "The checkpoint store " + checkpoints.location() + " cannot be reached ("
          + unreachable() + "), so nothing in " + target + " was removed"
          + (wrote != null ? "; the newest checkpoint this run wrote is " + wrote
              : "; this run wrote no checkpoint") + ". Once it can be reached, continue the run"
          + " (from the newest checkpoint there) with: submit/gradspark train --resume " + target;
    } else {
      String newest = newestCheckpoint();
      boolean keep = newest != null
          || exists(HadoopFiles.resolve(target, "model-last-good.npz"));
      removeContents(keep ? KEPT : Set.of());
      if (newest != null) {
        left = "The newest checkpoint is " + newest + "; continue the run with: "
            + "submit/gradspark train --resume " + target;
      } else if (keep) {
        left = "No checkpoint was written; " + target + " keeps config.conf and "
            + "model-last-good.npz";
      } else {
        left = "No checkpoint was written yet: nothing kept"
            + (created ? " (" + target + " removed)" : "");
      }
    }
    try {
      lock.close(); // a lock file on another file system is deleted; a local one is kept
    } catch (Exception ignored) {
      // the lock goes with the JVM anyway (or its heartbeat stops)
    }
    if (!done && created && isEmptyBut(RunDirectory.LOCK)) {
      HadoopFiles.deleteQuietly(HadoopFiles.resolve(target, RunDirectory.LOCK));
      HadoopFiles.deleteIfEmpty(target);
    }
  }

  /** Why the checkpoint store cannot be listed, or null when it can (asked once). */
  private String unreachable() {
    if (unreachable == null) {
      try {
        checkpoints.list();
        unreachable = "";
      } catch (java.io.IOException | RuntimeException e) {
        unreachable = io.gradspark.fs.HadoopPaths.reason(e);
      }
    }
    return unreachable.isEmpty() ? null : unreachable;
  }

  private String newestCheckpoint() {
    try {
      List<org.apache.hadoop.fs.Path> all = checkpoints.list();
      return all.isEmpty() ? null : all.get(0).toString();
    } catch (java.io.IOException | RuntimeException e) {
      return null;
    }
  }

  private static boolean exists(String path) {
    try {
      return HadoopFiles.exists(path);
    } catch (RuntimeException e) {
      return false;
    }
  }

  private void removeContents(Set<String> keep) {
    try {
      for (String name : HadoopFiles.list(target)) {
        if (!keep.contains(name) && !name.equals(RunDirectory.LOCK)) {
          HadoopFiles.deleteQuietly(HadoopFiles.resolve(target, name));
        }
      }
    } catch (RuntimeException e) {
      // best effort: the message says what should be there
    }
  }

  private boolean isEmptyBut(String name) {
    try {
      return HadoopFiles.list(target).stream().allMatch(n -> n.equals(name));
    } catch (RuntimeException e) {
      return false;
    }
  }
}
