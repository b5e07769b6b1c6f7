package io.gradspark.spark;

import io.gradspark.GradsparkException;
import io.gradspark.api.RunSpec;
import io.gradspark.fs.HadoopFiles;
import io.gradspark.fs.HadoopPaths;
import io.gradspark.io.CheckpointFile;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * Where a run's checkpoints live: a directory on any Hadoop file system (a local path, hdfs://,
 * s3a://...). Files are named {@code ckpt-e<epoch>-s<step>.npz} by the position they resume at; the
 * newest two are kept. Each is written to a local temporary file first (atomically, see
 * {@link CheckpointFile}), then copied under a temporary name and renamed into place.
 */
public final class HadoopCheckpointStore implements Trainer.Checkpoints {
  private static final Pattern NAME = Pattern.compile("ckpt-e(\\d+)-s(\\d+)\\.npz");
  private static final int KEEP = 2;
  private static final Pattern SCHEME = Pattern.compile("[a-zA-Z][a-zA-Z0-9+.-]+:");

  private final org.apache.hadoop.fs.Path dir;
  private final FileSystem fs;
  private final int everyEpochs;
  private final int everySteps;
  /** The newest checkpoint this store wrote, to name it when the store is out of reach later. */
  private volatile String lastSaved;

  private HadoopCheckpointStore(String dir, int everyEpochs, int everySteps) {
    // a scheme with no file system on the classpath: refused naming the connector to add
    HadoopPaths.checkScheme(dir.isEmpty() ? "." : dir, "checkpoint directory "
        + "(training.checkpoint-dir)");
    try {
      // a plain path (spaces and all) is a local one; only "scheme:..." is a URI
      // read as HadoopPaths reads it: Hadoop's parser, characters as written
      this.dir = SCHEME.matcher(dir).lookingAt()
          ? new org.apache.hadoop.fs.Path(dir)
          : new org.apache.hadoop.fs.Path(Path.of(dir).toAbsolutePath().normalize().toUri());
      // the outputs' own instance (not closed by Hadoop's shutdown hook, so a signal's tidying
      // can still remove temporary files); for a local path the raw local file system, without
      // .crc side files (checkpoints carry their own checksums)
      this.fs = HadoopFiles.fileSystem(this.dir.toString(), "checkpoint directory "
          + "(training.checkpoint-dir)");
    } catch (RuntimeException e) {
      if (e instanceof GradsparkException g) {
        throw g;
      }
      throw new GradsparkException("Cannot use checkpoint directory " + dir + ": " + e.getMessage(),
          "choose a writable checkpoint directory (training.checkpoint-dir); for a scheme such as "
              + "s3a:// or gs://, its Hadoop connector must be on the classpath");
    }
    this.everyEpochs = everyEpochs;
    this.everySteps = everySteps;
  }

  /** A store on a given file system (tests: one that fails as a full disk does). */
  HadoopCheckpointStore(org.apache.hadoop.fs.Path dir, FileSystem fs, int everyEpochs,
      int everySteps) {
    this.dir = dir;
    this.fs = fs;
    this.everyEpochs = everyEpochs;
    this.everySteps = everySteps;
  }

  /** The store of a run's checkpoint policy; runDirectory holds checkpoints/ by default. */
  public static HadoopCheckpointStore of(RunSpec.Checkpoints policy, String runDirectory) {
    return new HadoopCheckpointStore(policy.location(runDirectory), policy.everyEpochs(),
        policy.everySteps());
  }

  /**
   * Refuses a directory that cannot be written, before the first step rather than after an epoch
   * of work: creates it and a probe file there, then removes the probe.
   */
  public void checkWritable() {
    if (everyEpochs == 0 && everySteps == 0) {
      return;
    }
    org.apache.hadoop.fs.Path probe = new org.apache.hadoop.fs.Path(dir, ".write-probe");
    try {
      fs.mkdirs(dir);
      fs.create(probe, true).close();
      fs.delete(probe, false);
    } catch (IOException | RuntimeException | org.apache.hadoop.fs.FSError e) {
      throw new GradsparkException("Cannot write checkpoints to " + dir + ": "
          + HadoopPaths.reason(e),
          "choose a writable checkpoint directory (training.checkpoint-dir), or set "
              + "training.checkpoint-every = off");
    }
  }

  public String location() {
    return dir.toString();
  }

  /** The newest checkpoint this store has written in this JVM, or null for none. */
  public String lastSaved() {
    return lastSaved;
  }

  @Override
  public boolean dueAfterStep(int epoch, int stepsDone) {
    return everySteps > 0 && stepsDone % everySteps == 0;
  }

  @Override
  public boolean dueAfterEpoch(int epochsDone) {
    return everyEpochs > 0 && epochsDone % everyEpochs == 0
        || everySteps > 0; // step checkpoints also mark epoch boundaries
  }

  @Override
  public void save(TrainingState at, double[] params) {
    String name = String.format(Locale.ROOT, "ckpt-e%05d-s%07d.npz", at.epoch(), at.step());
    Path local = null;
    org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(dir, "." + name + ".tmp");
    boolean saved = false;
    try {
      local = Files.createTempFile("gradspark-ckpt-", ".npz");
      LOCAL_TEMPS.add(local);
      CheckpointFile.save(local, at, params);
      fs.mkdirs(dir);
      org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(dir, name);
      fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(local.toUri()), tmp);
      fs.delete(target, false);
      if (!fs.rename(tmp, target)) {
        throw new IOException("rename of " + tmp + " to " + target + " failed");
      }
      saved = true;
      lastSaved = target.toString();
      List<org.apache.hadoop.fs.Path> all = list();
      for (int i = KEEP; i < all.size(); i++) {
        fs.delete(all.get(i), false);
      }
    } catch (IOException | org.apache.hadoop.fs.FSError e) {
      // FSError: Hadoop's local file system wraps the IOException of a full disk in an Error
      throw new GradsparkException("Cannot write checkpoint " + name + " to " + dir + ": "
          + HadoopPaths.reason(e), "free space there, or choose another "
          + "training.checkpoint-dir, or set "
          + "training.checkpoint-every = off");
    } finally {
      if (!saved) {
        try {
          fs.delete(tmp, false);
        } catch (IOException | RuntimeException | org.apache.hadoop.fs.FSError ignored) {
          // removeTemporaryFiles tries again
        }
      }
      if (local != null) {
        try {
          Files.deleteIfExists(local);
          LOCAL_TEMPS.remove(local);
        } catch (IOException ignored) {
          // removeTemporaryFiles tries again
        }
      }
    }
  }

  /** Local copies being written or read, removed by {@link #removeTemporaryFiles} too. */
  private static final java.util.Set<Path> LOCAL_TEMPS =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * Removes this JVM's local temporary copies and the store's half-copied ".ckpt-*.tmp" files
   * (after a failure, or when a signal stops the JVM mid-copy).
   */
  public void removeTemporaryFiles() {
    for (Path p : LOCAL_TEMPS) {
      try {
        Files.deleteIfExists(p);
        LOCAL_TEMPS.remove(p);
      } catch (IOException ignored) {
        // best effort
      }
    }
    try {
      if (fs.exists(dir)) {
        for (FileStatus s : fs.listStatus(dir)) {
          String n = s.getPath().getName();
          if (n.startsWith(".ckpt-") && n.endsWith(".tmp") || n.equals(".write-probe")) {
            fs.delete(s.getPath(), false);
          }
        }
      }
    } catch (IOException | RuntimeException | org.apache.hadoop.fs.FSError ignored) {
      // best effort
    }
  }

  /** Whether the checkpoints go inside the local directory dir (the run directory). */
  public boolean isInside(Path local) {
    return dir.toUri().getScheme() != null && dir.toUri().getScheme().equals("file")
        && Path.of(dir.toUri()).startsWith(local.toAbsolutePath().normalize());
  }

  /**
   * Whether the checkpoints go inside the run directory runDir: a local path or a Hadoop one (a
   * URI), as {@link HadoopFiles} takes it.
   */
  public boolean isInside(String runDir) {
    if (!HadoopFiles.viaHadoop(runDir)) {
      return isInside(Path.of(runDir));
    }
    String run = HadoopPaths.qualified(runDir);
    String mine = dir.toString();
    return mine.equals(run) || mine.startsWith(run.endsWith("/") ? run : run + "/");
  }

  /** Checkpoint files, newest position first. */
  public List<org.apache.hadoop.fs.Path> list() throws IOException {
    List<org.apache.hadoop.fs.Path> found = new ArrayList<>();
    if (!fs.exists(dir)) {
      return found;
    }
    for (FileStatus s : fs.listStatus(dir)) {
      if (NAME.matcher(s.getPath().getName()).matches()) {
        found.add(s.getPath());
      }
    }
    found.sort(Comparator.comparing((org.apache.hadoop.fs.Path p) -> p.getName()).reversed());
    return found;
  }

  /**
   * The newest checkpoint that loads and verifies; a damaged one is reported on stderr and the
   * previous one used. Refuses when none is usable.
   */
  public CheckpointFile.Loaded newest(int numParams) {
    List<String> refused = new ArrayList<>();
    try {
      for (org.apache.hadoop.fs.Path p : list()) {
        Path local = Files.createTempFile("gradspark-ckpt-", ".npz");
        LOCAL_TEMPS.add(local);
        try {
          fs.copyToLocalFile(false, p, new org.apache.hadoop.fs.Path(local.toUri()), true);
          // named where it is, not by its local copy
          CheckpointFile.Loaded l = CheckpointFile.load(local, p.toString(), numParams);
          if (!refused.isEmpty()) {
            System.err.println("Resuming from " + p + " instead");
          }
          System.out.println("Resuming from checkpoint " + p);
          return l;
        } catch (GradsparkException e) {
          refused.add(p.getName());
          System.err.println("warning: checkpoint " + p + " is unusable: " + e.getMessage());
        } finally {
          Files.deleteIfExists(local);
          LOCAL_TEMPS.remove(local);
        }
      }
    } catch (IOException e) {
      throw new GradsparkException("Cannot read checkpoints in " + dir + ": " + e);
    }
    throw new GradsparkException("No usable checkpoint in " + dir
        + (refused.isEmpty() ? "" : " (refused: " + String.join(", ", refused) + ")"),
        "checkpoints are written every training.checkpoint-every; start a new run with --config"
            + (refused.isEmpty() ? "" : "; a checkpoint resumes the network and settings it was "
                + "written with: if the run's config.conf was edited since, restore it"));
  }
}
