package io.gradspark.fs;

import io.gradspark.GradsparkException;
import java.io.BufferedOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.StreamCapabilities;
import org.apache.hadoop.fs.UnsupportedFileSystemException;

/**
 * Outputs on any file system: atomic writes, directories, listings, deletes, exclusive creates,
 * renames and copies, for the paths {@link HadoopPaths} reads. One API for every caller, two
 * implementations under it:
 *
 * <ul>
 *   <li>a plain path is a local one, written with java.nio exactly as Gradspark always wrote
 *       (the bytes forced to disk, an atomic rename(2) over the target, the process umask);
 *   <li>a path with a scheme ({@code hdfs://}, {@code s3a://}, and {@code file:} too, so that the
 *       Hadoop code path runs, and is tested, on the local disk) goes through the Hadoop file
 *       system of its scheme. A scheme with no file system on the classpath is refused naming
 *       the connector to add.
 * </ul>
 *
 * <p>Every operation names the path in its errors (a {@link GradsparkException}), except the
 * best-effort {@link #deleteQuietly}. The Hadoop file systems used here are this class's own
 * instances, which Hadoop's shutdown hook does not close: a run stopped by a signal can still
 * tidy its run directory on HDFS from its own shutdown hook.
 */
public final class HadoopFiles {
  private static final SecureRandom RANDOM = new SecureRandom();
  /**
   * This class's file systems, by the configuration in use when they were made (by identity) and
   * by scheme and authority; closed when that configuration is replaced ({@link #release}).
   */
  private static final Map<Configuration, Map<String, Instance>> FILE_SYSTEMS =
      java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());
  private static final Map<String, FileContext> CONTEXTS = new ConcurrentHashMap<>();

  private HadoopFiles() {}

  /** Whether path goes through Hadoop (it has a scheme, file: included) rather than java.nio. */
  public static boolean viaHadoop(String path) {
    return HadoopPaths.hasScheme(path);
  }

  /**
   * A local java.nio path as a path string for this class: p itself, or p made absolute when its
   * text would read as a URI (a relative "ab:c").
   */
  public static String of(java.nio.file.Path p) {
    String s = p.toString();
    return HadoopPaths.hasScheme(s) ? p.toAbsolutePath().toString() : s;
  }

  /**
   * Where path is, to show and to compare: a plain path absolute and normalized (as a local path,
   * "/home/me/runs/x"), a URI as written (qualified: "hdfs://nn:8020/runs/x", "file:/tmp/x").
   */
  public static String location(String path) {
    if (viaHadoop(path)) {
      // one spelling per place: file:///x/ and file:/x are file:/x
      URI u = HadoopPaths.path(path).toUri();
      return uri(new Path(u.getScheme(), u.getAuthority(), u.getPath()));
    }
    HadoopPaths.path(path); // refuses a blank path as HadoopPaths does
    return java.nio.file.Path.of(path).toAbsolutePath().normalize().toString();
  }

  /** dir/name, in dir's kind (a plain path stays plain). */
  public static String resolve(String dir, String name) {
    return viaHadoop(dir) ? uri(new Path(HadoopPaths.path(dir), name))
        : java.nio.file.Path.of(dir).resolve(name).toString();
  }

  /** The last name of the path ("model.npz"). */
  public static String name(String path) {
    if (viaHadoop(path)) {
      return HadoopPaths.name(path);
    }
    java.nio.file.Path n = java.nio.file.Path.of(location(path)).getFileName();
    return n == null ? "" : n.toString();
  }

  /** The parent directory, in path's kind (a plain path's absolute), or null for a root. */
  public static String parent(String path) {
    if (viaHadoop(path)) {
      Path p = HadoopPaths.path(path).getParent();
      return p == null ? null : uri(p);
    }
    java.nio.file.Path p = java.nio.file.Path.of(location(path)).getParent();
    return p == null ? null : p.toString();
  }

  // --- atomic writes ---------------------------------------------------------------------------

  /**
   * Writes file atomically, creating missing parent directories; what names it in errors
   * ("model", "history CSV"). Readers, and a rerun after a crash, see the old file or the complete
   * new one, never a prefix: the bytes go to a hidden temporary file in the same directory
   * (".NAME.RANDOM.tmp"), are forced to disk, and the temporary file is renamed over the target.
   * On any failure, an Error included, the temporary file is removed and the target left as it
   * was; a full disk (or an HDFS quota) is reported as such, with a hint. A target that is a
   * root, a directory, or not a regular file (a device, a pipe) is refused before anything is
   * written ({@link Outputs#checkFileTarget}): a rename would replace the device node itself.
   *
   * <p>The rename: a local file system's rename(2) replaces the target atomically. HDFS's
   * FileSystem.rename refuses an existing target, so an existing target is replaced with
   * FileContext.rename(OVERWRITE), which the name node does as one operation (delete-then-rename
   * would leave a moment with no file, and no file at all if the writer died in it). A file system
   * with no FileContext binding falls back to delete-then-rename (an object store's rename is a
   * copy anyway).
   */
  public static void write(String file, String what, HadoopPaths.Body body) {
    if (viaHadoop(file)) {
      writeHadoop(file, what, body);
    } else {
      write(java.nio.file.Path.of(file), what, body);
    }
  }

  /** {@link #write(String, String, HadoopPaths.Body)} of a local file. */
  public static void write(java.nio.file.Path file, String what, HadoopPaths.Body body) {
    Outputs.checkFileTarget(of(file), what);
    java.nio.file.Path target = file.toAbsolutePath();
    java.nio.file.Path dir = target.getParent();
    java.nio.file.Path tmp = null;
    try {
      Files.createDirectories(dir);
      // Not Files.createTempFile: that makes the file private (0600), and outputs get the umask.
      tmp = dir.resolve(temporaryName(target.getFileName().toString()));
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
        body.write(out);
        out.flush();
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        // Still a rename within one directory of a complete file, just without the guarantee.
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
    } catch (IOException e) {
      throw writeFailed(file.toString(), what, e);
    } catch (RuntimeException | Error e) {
      // e.g. Hadoop's FSError or an UncheckedIOException from body
      if (!(e instanceof GradsparkException) && isDiskFull(e)) {
        throw diskFull(file.toString(), what, e);
      }
      throw e;
    } finally {
      // also after an Error (OutOfMemoryError, Hadoop's FSError) or a RuntimeException from body
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException | RuntimeException ignored) {
          // The write already failed; that error is the one to report.
        }
      }
    }
  }

  private static void writeHadoop(String file, String what, HadoopPaths.Body body) {
    Outputs.checkFileTarget(file, what);
    FileSystem fs = fileSystem(file, what);
    Path target = HadoopPaths.path(file);
    Path tmp = null;
    try {
      Path dir = target.getParent();
      fs.mkdirs(dir);
      tmp = new Path(dir, temporaryName(target.getName()));
      try (FSDataOutputStream raw = fs.create(tmp, false)) {
        OutputStream out = new BufferedOutputStream(raw, 1 << 16);
        body.write(out);
        out.flush();
        // HDFS: the blocks are on the data nodes' disks; the local file system: fsync. An object
        // store has no sync (its upload completes at close).
        if (raw.hasCapability(StreamCapabilities.HSYNC)) {
          raw.hsync();
        }
      }
      replace(fs, tmp, target);
      tmp = null;
    } catch (IOException e) {
      throw writeFailed(file, what, e);
    } catch (RuntimeException | Error e) {
      if (!(e instanceof GradsparkException) && isDiskFull(e)) {
        throw diskFull(file, what, e);
      }
      throw e;
    } finally {
      if (tmp != null) {
        try {
          fs.delete(tmp, false);
        } catch (IOException | RuntimeException | Error ignored) {
          // The write already failed; that error is the one to report.
        }
      }
    }
  }

  /** Renames the complete file tmp to target, replacing a file there (see {@link #write}). */
  private static void replace(FileSystem fs, Path tmp, Path target) throws IOException {
    FileStatus st = status(fs, target);
    if (st != null && st.isDirectory()) {
      // a rename onto a directory would move the file into it
      throw new IOException(target + " is a directory");
    }
    if ((st == null || fs instanceof RawLocalFileSystem) && fs.rename(tmp, target)) {
      return;
    }
    try {
      context(target).rename(tmp, target, Options.Rename.OVERWRITE);
    } catch (UnsupportedFileSystemException e) {
      fs.delete(target, false);
      if (!fs.rename(tmp, target)) {
        throw new IOException("rename of " + tmp + " to " + target + " failed");
      }
    }
  }

  private static String temporaryName(String name) {
    return "." + name + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp";
  }

  private static GradsparkException writeFailed(String file, String what, IOException e) {
    if (isDiskFull(e)) {
      return diskFull(file, what, e);
    }
    return new GradsparkException("Could not write " + what + " " + file + ": " + e,
        "check that the directory exists, is writable and has free space", e);
  }

  private static GradsparkException diskFull(String file, String what, Throwable e) {
    return new GradsparkException("Could not write " + what + " " + file
        + ": no space left on device", "free space on that file system, or write elsewhere", e);
  }

  /**
   * Whether e or a cause says the disk is full: ENOSPC ("No space left on device"), or an HDFS
   * space quota ("The DiskSpace quota of /x is exceeded").
   */
  public static boolean isDiskFull(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      String m = c.getMessage();
      if (m != null && (m.contains("No space left on device")
          || m.contains("DiskSpace quota") && m.contains("exceeded"))) {
        return true;
      }
    }
    return false;
  }

  // --- directories -----------------------------------------------------------------------------

  /** Whether the path exists (a file or a directory). */
  public static boolean exists(String path) {
    if (!viaHadoop(path)) {
      return Files.exists(java.nio.file.Path.of(path), LinkOption.NOFOLLOW_LINKS);
    }
    try {
      return status(fileSystem(path, "path"), HadoopPaths.path(path)) != null;
    } catch (IOException e) {
      throw unreachable(path, e);
    }
  }

  /** Whether the path is a directory (false when it is missing). */
  public static boolean isDirectory(String path) {
    if (!viaHadoop(path)) {
      return Files.isDirectory(java.nio.file.Path.of(path));
    }
    try {
      FileStatus s = status(fileSystem(path, "path"), HadoopPaths.path(path));
      return s != null && s.isDirectory();
    } catch (IOException e) {
      throw unreachable(path, e);
    }
  }

  /** Whether the path is a regular file (false when it is missing). */
  public static boolean isFile(String path) {
    if (!viaHadoop(path)) {
      return Files.isRegularFile(java.nio.file.Path.of(path));
    }
    try {
      FileStatus s = status(fileSystem(path, "path"), HadoopPaths.path(path));
      return s != null && s.isFile();
    } catch (IOException e) {
      throw unreachable(path, e);
    }
  }

  /** Creates the directory and its missing parents; what names it in errors. */
  public static void mkdirs(String dir, String what) {
    try {
      if (!viaHadoop(dir)) {
        Files.createDirectories(java.nio.file.Path.of(dir));
      } else if (!fileSystem(dir, what).mkdirs(HadoopPaths.path(dir))) {
        throw new IOException("mkdirs returned false");
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof GradsparkException g) {
        throw g;
      }
      throw new GradsparkException("Cannot create " + what + " " + dir + ": " + HadoopPaths.reason(e),
          "check that its parent is writable and its file system reachable");
    }
  }

  /**
   * The names in directory dir, sorted; refuses a path that is missing or not a directory with a
   * GradsparkException that says which.
   */
  public static List<String> list(String dir) {
    List<String> names = new ArrayList<>();
    try {
      if (!viaHadoop(dir)) {
        try (Stream<java.nio.file.Path> s = Files.list(java.nio.file.Path.of(dir))) {
          s.forEach(p -> names.add(p.getFileName().toString()));
        }
      } else {
        FileSystem fs = fileSystem(dir, "directory");
        Path p = HadoopPaths.path(dir);
        FileStatus st = fs.getFileStatus(p);
        if (!st.isDirectory()) {
          throw new java.nio.file.NotDirectoryException(dir);
        }
        for (FileStatus c : fs.listStatus(p)) {
          names.add(c.getPath().getName());
        }
      }
    } catch (java.nio.file.NotDirectoryException e) {
      throw new GradsparkException(dir + " is not a directory", "name a directory");
    } catch (NoSuchFileException | FileNotFoundException e) {
      throw new GradsparkException("No directory " + dir, "check the path");
    } catch (IOException e) {
      throw new GradsparkException("Cannot list " + dir + ": " + HadoopPaths.reason(e),
          "check that it is a readable directory and its file system reachable");
    }
    names.sort(Comparator.naturalOrder());
    return names;
  }

  /** Removes path, a directory with everything in it; false when there was nothing to remove. */
  public static boolean delete(String path) {
    try {
      if (!viaHadoop(path)) {
        java.nio.file.Path p = java.nio.file.Path.of(path);
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
          return false;
        }
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          try (Stream<java.nio.file.Path> s = Files.walk(p)) {
            for (java.nio.file.Path q : s.sorted(Comparator.reverseOrder()).toList()) {
              Files.deleteIfExists(q);
            }
          }
          return true;
        }
        return Files.deleteIfExists(p);
      }
      return fileSystem(path, "path").delete(HadoopPaths.path(path), true);
    } catch (IOException | RuntimeException e) {
      if (e instanceof GradsparkException g) {
        throw g;
      }
      throw new GradsparkException("Cannot remove " + path + ": " + HadoopPaths.reason(e),
          "remove it by hand");
    }
  }

  /**
   * Removes the directory dir if it is empty, ignoring every failure (tidying: a directory that
   * another run has started to fill meanwhile stays).
   */
  public static void deleteIfEmpty(String dir) {
    try {
      if (!viaHadoop(dir)) {
        Files.deleteIfExists(java.nio.file.Path.of(dir));
      } else {
        fileSystem(dir, "directory").delete(HadoopPaths.path(dir), false);
      }
    } catch (IOException | RuntimeException | Error ignored) {
      // not empty, or not reachable: it stays
    }
  }

  /** {@link #delete}, ignoring every failure (tidying after another error). */
  public static void deleteQuietly(String path) {
    try {
      delete(path);
    } catch (RuntimeException | Error ignored) {
      // best effort
    }
  }

  /**
   * Creates file with content unless it exists (then false): one creator wins when several try
   * at once. HDFS creates exclusively on the name node; the local file system (plain paths and
   * file:) with O_EXCL (Hadoop's local create(overwrite = false) checks and then creates).
   */
  public static boolean createExclusive(String file, byte[] content) {
    try {
      if (!viaHadoop(file) || isLocal(fileSystem(file, "file"))) {
        java.nio.file.Path p = viaHadoop(file) ? HadoopPaths.localPath(file)
            : java.nio.file.Path.of(file);
        try {
          Files.write(p, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          return true;
        } catch (FileAlreadyExistsException e) {
          return false;
        }
      }
      FileSystem fs = fileSystem(file, "file");
      try (FSDataOutputStream out = fs.create(HadoopPaths.path(file), false)) {
        out.write(content);
      }
      return true;
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      // HDFS reports a file that another client is creating as a lease conflict, a
      // RemoteException whose message does not name its class (the client unwraps only some)
      if (String.valueOf(e.getMessage()).contains("AlreadyBeingCreatedException")
          || e.getClass().getSimpleName().equals("AlreadyBeingCreatedException")
          || e instanceof org.apache.hadoop.ipc.RemoteException r
              && r.getClassName().endsWith(".AlreadyBeingCreatedException")) {
        return false;
      }
      throw new GradsparkException("Cannot create " + file + ": " + HadoopPaths.reason(e),
          "check that its directory is writable and its file system reachable");
    }
  }

  /**
   * Renames from to to, which must not exist: false when it does (or from has gone). A local
   * directory is moved with one rename(2); HDFS renames with FileContext.rename(NONE), which
   * refuses an existing target on the name node (FileSystem.rename would move from into an
   * existing directory).
   */
  public static boolean rename(String from, String to) {
    try {
      if (!viaHadoop(from) || isLocal(fileSystem(from, "path"))) {
        java.nio.file.Path f = viaHadoop(from) ? HadoopPaths.localPath(from)
            : java.nio.file.Path.of(from);
        java.nio.file.Path t = viaHadoop(to) ? HadoopPaths.localPath(to)
            : java.nio.file.Path.of(to);
        if (Files.exists(t, LinkOption.NOFOLLOW_LINKS) || !Files.exists(f)) {
          return false;
        }
        try {
          Files.move(f, t, StandardCopyOption.ATOMIC_MOVE);
          return true;
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException
            | NoSuchFileException e) {
          return false;
        }
      }
      FileSystem fs = fileSystem(from, "path");
      Path f = HadoopPaths.path(from);
      Path t = HadoopPaths.path(to);
      try {
        context(t).rename(f, t, Options.Rename.NONE);
        return true;
      } catch (org.apache.hadoop.fs.FileAlreadyExistsException | FileNotFoundException e) {
        return false;
      } catch (UnsupportedFileSystemException e) {
        return status(fs, t) == null && fs.rename(f, t);
      }
    } catch (IOException e) {
      throw new GradsparkException("Cannot rename " + from + " to " + to + ": "
          + HadoopPaths.reason(e), "check that the directory is writable");
    }
  }

  /** The modification time of path in ms since the epoch, or -1 when it is missing. */
  public static long modificationTime(String path) {
    try {
      if (!viaHadoop(path)) {
        java.nio.file.Path p = java.nio.file.Path.of(path);
        return Files.exists(p) ? Files.getLastModifiedTime(p).toMillis() : -1;
      }
      FileStatus s = status(fileSystem(path, "path"), HadoopPaths.path(path));
      return s == null ? -1 : s.getModificationTime();
    } catch (IOException e) {
      throw unreachable(path, e);
    }
  }

  /** Sets the modification time of path (ms since the epoch). */
  public static void setModificationTime(String path, long millis) throws IOException {
    if (!viaHadoop(path)) {
      Files.setLastModifiedTime(java.nio.file.Path.of(path),
          java.nio.file.attribute.FileTime.fromMillis(millis));
    } else {
      fileSystem(path, "path").setTimes(HadoopPaths.path(path), millis, -1);
    }
  }

  /** The content of a small file, or null when it is missing. */
  public static byte[] readIfExists(String file) throws IOException {
    try (InputStream in = open(file)) {
      return in.readAllBytes();
    } catch (FileNotFoundException | NoSuchFileException e) {
      return null;
    }
  }

  /** The content of a small file (a config, a lock); refuses a missing one, naming what it is. */
  public static byte[] readAllBytes(String file, String what) {
    try {
      byte[] b = readIfExists(file);
      if (b == null) {
        throw new GradsparkException(what + " " + file + ": no such file", "check the path");
      }
      return b;
    } catch (IOException e) {
      throw new GradsparkException("Cannot read " + what + " " + file + ": "
          + HadoopPaths.reason(e), "check the path and that its file system is reachable");
    }
  }

  /** Opens file for reading. */
  public static InputStream open(String file) throws IOException {
    if (!viaHadoop(file)) {
      return Files.newInputStream(java.nio.file.Path.of(file));
    }
    return fileSystem(file, "file").open(HadoopPaths.path(file), 1 << 16);
  }

  /** Copies file to the local file local (replacing it). */
  public static void copyToLocal(String file, java.nio.file.Path local) throws IOException {
    try (InputStream in = open(file)) {
      Files.copy(in, local, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /**
   * Copies the local file or directory tree from to to (which must not exist), on to's file
   * system: the way a run directory staged on the local disk reaches HDFS.
   */
  public static void copyFromLocal(java.nio.file.Path from, String to) throws IOException {
    if (Files.isDirectory(from)) {
      mkdirs(to, "directory");
      List<java.nio.file.Path> children;
      try (Stream<java.nio.file.Path> s = Files.list(from)) {
        children = s.sorted().toList();
      }
      for (java.nio.file.Path c : children) {
        copyFromLocal(c, resolve(to, c.getFileName().toString()));
      }
      return;
    }
    if (!viaHadoop(to)) {
      Files.copy(from, java.nio.file.Path.of(to));
      return;
    }
    try (InputStream in = Files.newInputStream(from);
        FSDataOutputStream out = fileSystem(to, "file").create(HadoopPaths.path(to), false)) {
      in.transferTo(out);
    }
  }

  // --- the file systems ------------------------------------------------------------------------

  /**
   * The Hadoop file system of a path with a scheme: this class's own instance for its scheme and
   * authority, made with the configuration in use ({@link HadoopPaths#configuration}: the Spark
   * application's), the application's spark.hadoop.* system properties over it, and one
   * difference: Hadoop's shutdown hook does not close it, so a run stopped by a signal can still
   * tidy its directory. Closed when the next application's configuration replaces this one
   * ({@link HadoopPaths#configure}). For file:, the raw
   * local file system (no .crc side files). Refuses a scheme with no file system on the
   * classpath, naming the connector; what says which path it is ("--out").
   */
  public static FileSystem fileSystem(String path, String what) {
    Path p = HadoopPaths.path(path);
    URI uri = p.toUri();
    String key = uri.getScheme() + "://" + (uri.getAuthority() == null ? "" : uri.getAuthority());
    Configuration source = HadoopPaths.configuration();
    Map<String, Instance> made = FILE_SYSTEMS.computeIfAbsent(source,
        c -> new ConcurrentHashMap<>());
    Instance had = made.get(key);
    if (had != null) {
      return had.fs();
    }
    FileSystem shared = HadoopPaths.fileSystem(path, what); // refuses an unknown scheme
    try {
      Configuration base = shared.getConf() != null ? shared.getConf() : source;
      Configuration own = ownConfiguration(base);
      FileSystem f = FileSystem.newInstance(uri, own);
      FileSystem raw = f instanceof org.apache.hadoop.fs.LocalFileSystem local ? local.getRaw() : f;
      Instance mine = new Instance(f, raw, own);
      Instance now = made.putIfAbsent(key, mine);
      if (now != null) {
        f.close(); // another thread made one first
        return now.fs();
      }
      return raw;
    } catch (IOException | RuntimeException e) {
      if (e instanceof GradsparkException g) {
        throw g;
      }
      throw new GradsparkException("Cannot open the file system of " + what + " " + path + ": "
          + HadoopPaths.reason(e), "check the address (host and port of the name node) and that "
          + "it is up");
    }
  }

  /** A file system instance as made (what is closed), as handed out, and its configuration. */
  private record Instance(FileSystem made, FileSystem fs, Configuration conf) {}

  /**
   * Closes the instances made while source was the configuration in use, and forgets the file
   * contexts made from them ({@link HadoopPaths} calls this when it closes its own).
   */
  static void release(Configuration source) {
    Map<String, Instance> made = FILE_SYSTEMS.remove(source);
    if (made == null) {
      return;
    }
    for (Map.Entry<String, Instance> e : made.entrySet()) {
      CONTEXTS.remove(e.getKey());
      try {
        e.getValue().made().close();
      } catch (IOException x) {
        // closing: nothing left to tell anyone
      }
    }
  }

  /**
   * The configuration of this class's instances: base (the shared client's), not closed by
   * Hadoop's shutdown hook, with the application's spark.hadoop.* settings when they are system
   * properties (as spark-submit passes them; Spark adds them to its own configuration itself).
   */
  private static Configuration ownConfiguration(Configuration base) {
    Configuration conf = new Configuration(base);
    conf.setBoolean("fs.automatic.close", false);
    for (String k : System.getProperties().stringPropertyNames()) {
      if (k.startsWith("spark.hadoop.") && k.length() > "spark.hadoop.".length()) {
        conf.set(k.substring("spark.hadoop.".length()), System.getProperty(k));
      }
    }
    return conf;
  }

  private static FileContext context(Path p) throws UnsupportedFileSystemException {
    URI uri = p.toUri();
    String key = uri.getScheme() + "://" + (uri.getAuthority() == null ? "" : uri.getAuthority());
    FileContext fc = CONTEXTS.get(key);
    if (fc == null) {
      Map<String, Instance> made = FILE_SYSTEMS.get(HadoopPaths.configuration());
      Instance i = made != null ? made.get(key) : null;
      fc = FileContext.getFileContext(uri, i != null ? i.conf()
          : ownConfiguration(HadoopPaths.configuration()));
      FileContext had = CONTEXTS.putIfAbsent(key, fc);
      fc = had != null ? had : fc;
    }
    return fc;
  }

  /**
   * A Hadoop path as text that reads back as the same path ({@link HadoopPaths} reads a path as
   * Hadoop does: characters as written, no %-escapes).
   */
  private static String uri(Path p) {
    return p.toString();
  }

  private static boolean isLocal(FileSystem fs) {
    return fs instanceof RawLocalFileSystem;
  }

  private static FileStatus status(FileSystem fs, Path p) throws IOException {
    try {
      return fs.getFileStatus(p);
    } catch (FileNotFoundException e) {
      return null;
    }
  }

  private static GradsparkException unreachable(String path, IOException e) {
    return new GradsparkException("Cannot reach " + path + ": " + HadoopPaths.reason(e),
        "check the path and that its file system is up");
  }
}
