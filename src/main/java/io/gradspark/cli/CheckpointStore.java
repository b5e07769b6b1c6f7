package io.gradspark.cli;

import io.gradspark.GradsparkException;
import io.gradspark.io.CheckpointFile;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingState;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * Where a run's checkpoints live: a directory on any Hadoop file system (a local path, hdfs://,
 * s3a://...). Files are named {@code ckpt-e<epoch>-s<step>.npz} by the position they resume at; the
 * newest two are kept. Each is written to a local temporary file first (atomically, see
 * {@link CheckpointFile}), then copied under a temporary name and renamed into place.
 */
final class CheckpointStore implements Trainer.Checkpoints {
  private static final Pattern NAME = Pattern.compile("ckpt-e(\\d+)-s(\\d+)\\.npz");
  private static final int KEEP = 2;

  private final org.apache.hadoop.fs.Path dir;
  private final FileSystem fs;
  private final int everyEpochs;
  private final int everySteps;

  private CheckpointStore(String dir, int everyEpochs, int everySteps) {
    try {
      URI uri = new URI(dir);
      this.dir = new org.apache.hadoop.fs.Path(uri.getScheme() == null
          ? Path.of(dir).toAbsolutePath().normalize().toUri() : uri);
      FileSystem f = this.dir.getFileSystem(new Configuration());
      // the raw local file system: no .crc side files (checkpoints carry their own checksums)
      this.fs = f instanceof org.apache.hadoop.fs.LocalFileSystem local ? local.getRaw() : f;
    } catch (java.net.URISyntaxException | IOException e) {
      throw new GradsparkException("Cannot use checkpoint directory " + dir + ": " + e.getMessage(),
          "set training.checkpoint-dir to a writable path");
    }
    this.everyEpochs = everyEpochs;
    this.everySteps = everySteps;
  }

  /** From training.checkpoint-every ("N epochs", "N steps" or "off") and the directory. */
  static CheckpointStore of(ConfigLoader c, String defaultDir) {
    String every = c.string("training.checkpoint-every").trim().toLowerCase(Locale.ROOT);
    String dir = c.string("training.checkpoint-dir").trim();
    dir = dir.isEmpty() ? defaultDir : dir;
    if (every.equals("off") || every.equals("0")) {
      return new CheckpointStore(dir, 0, 0);
    }
    Matcher m = Pattern.compile("(\\d+)\\s*(epochs?|steps?)?").matcher(every);
    if (!m.matches() || Integer.parseInt(m.group(1)) < 1) {
      throw c.bad("training.checkpoint-every", "\"N epochs\", \"N steps\" or \"off\"");
    }
    int n = Integer.parseInt(m.group(1));
    boolean steps = m.group(2) != null && m.group(2).startsWith("step");
    return new CheckpointStore(dir, steps ? 0 : n, steps ? n : 0);
  }

  String location() {
    return dir.toString();
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
    try {
      local = Files.createTempFile("gradspark-ckpt-", ".npz");
      CheckpointFile.save(local, at, params);
      fs.mkdirs(dir);
      org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(dir, "." + name + ".tmp");
      org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(dir, name);
      fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(local.toUri()), tmp);
      fs.delete(target, false);
      if (!fs.rename(tmp, target)) {
        throw new IOException("rename of " + tmp + " to " + target + " failed");
      }
      List<org.apache.hadoop.fs.Path> all = list();
      for (int i = KEEP; i < all.size(); i++) {
        fs.delete(all.get(i), false);
      }
    } catch (IOException e) {
      throw new GradsparkException("Cannot write checkpoint " + name + " to " + dir + ": " + e,
          "check training.checkpoint-dir, or set training.checkpoint-every = off");
    } finally {
      if (local != null) {
        try {
          Files.deleteIfExists(local);
        } catch (IOException ignored) {
          // a leftover temporary file is harmless
        }
      }
    }
  }

  /** Checkpoint files, newest position first. */
  List<org.apache.hadoop.fs.Path> list() throws IOException {
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
  CheckpointFile.Loaded newest(int numParams) {
    List<String> refused = new ArrayList<>();
    try {
      for (org.apache.hadoop.fs.Path p : list()) {
        Path local = Files.createTempFile("gradspark-ckpt-", ".npz");
        try {
          fs.copyToLocalFile(false, p, new org.apache.hadoop.fs.Path(local.toUri()), true);
          CheckpointFile.Loaded l = CheckpointFile.load(local, numParams);
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
        }
      }
    } catch (IOException e) {
      throw new GradsparkException("Cannot read checkpoints in " + dir + ": " + e);
    }
    throw new GradsparkException("No usable checkpoint in " + dir
        + (refused.isEmpty() ? "" : " (refused: " + String.join(", ", refused) + ")"),
        "checkpoints are written every training.checkpoint-every; start a new run with --config");
  }
}
