package io.gradspark.fs;

import io.gradspark.GradsparkException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.UnsupportedFileSystemException;

/**
 * Paths on any Hadoop file system, as strings. A path with a scheme ({@code hdfs://nn:8020/x},
 * {@code file:/x}, {@code s3a://bucket/x}) is read as Hadoop reads it ({@code hdfs dfs},
 * {@code spark.read}): characters as written, no %-escapes, {@code ? * [ ] { }} are glob
 * characters; anything else is a local path, resolved against the current directory (so a plain
 * path means what it always meant, whatever {@code fs.defaultFS} says). The qualified paths this
 * class returns ({@link #qualified}, {@link FileEntry#path}) read back as the same path, spaces
 * and all. Every method names the path in its errors.
 */
public final class HadoopPaths {
  private static final Pattern SCHEME = Pattern.compile("[a-zA-Z][a-zA-Z0-9+.-]+:");

  private HadoopPaths() {}

  /** The configuration in use (null: the classpath's defaults, made when first asked for). */
  private static volatile Configuration configuration;
  /** Whose configuration it is: the Spark application ({@link #configureFor}), or null. */
  private static volatile Object configuredFor;

  /**
   * Use conf for every file system opened from now on (the Spark layer passes the application's
   * Hadoop configuration: on the driver {@code sc.hadoopConfiguration()}, on an executor the same
   * settings from its SparkConf). The file systems opened under the previous configuration are
   * closed when it was an application's (that application has ended: Spark runs one at a time
   * in a JVM); the defaults' stay open for whoever uses them outside Spark.
   */
  public static synchronized void configure(Configuration conf) {
    Configuration previous = configuration;
    Object previousOwner = configuredFor;
    configuration = failFast(new Configuration(conf));
    configuredFor = null;
    if (previous != null && previousOwner != null) {
      closeOpened(previous);
      HadoopFiles.release(previous);
    }
  }

  /**
   * Calls {@link #configure} with conf's value unless the configuration in use is already
   * owner's: the Spark layer passes its application's SparkEnv, so a JVM that runs one Spark
   * application after another (an embedding program, a test JVM) uses each one's Hadoop settings,
   * not the first one's for good.
   */
  public static void configureFor(Object owner, java.util.function.Supplier<Configuration> conf) {
    if (owner != configuredFor) {
      synchronized (HadoopPaths.class) {
        if (owner != configuredFor) {
          configure(conf.get());
          configuredFor = owner;
        }
      }
    }
  }

  /**
   * Closes the file systems opened under owner's configuration for reading, if owner's is the
   * configuration in use (the Spark layer calls this when its application ends); nothing happens
   * for another owner. The configuration stays in use: a shutdown hook that tidies a run
   * directory while Spark's own hook stops the application still writes with the application's
   * settings, through {@link HadoopFiles}' instances, which stay open until the next
   * configuration replaces this one ({@link #configure}).
   */
  public static synchronized void release(Object owner) {
    if (owner != null && owner == configuredFor) {
      closeOpened(configuration);
    }
  }

  /** The Hadoop configuration in use: the configured one, or the classpath's defaults. */
  public static Configuration configuration() {
    Configuration c = configuration;
    if (c == null) {
      synchronized (HadoopPaths.class) {
        c = configuration;
        if (c == null) {
          c = failFast(new Configuration());
          configuration = c;
        }
      }
    }
    return c;
  }

  /** A name node that is not there: give up after one try of 5 s, not after minutes of retries. */
  private static Configuration failFast(Configuration conf) {
    conf.setIfUnset("ipc.client.connect.max.retries", "0");
    conf.setIfUnset("ipc.client.connect.max.retries.on.timeouts", "0");
    conf.setIfUnset("ipc.client.connect.timeout", "5000");
    conf.setIfUnset("dfs.client.retry.policy.enabled", "false");
    return conf;
  }

  /** Whether text names a path with a scheme ("hdfs://...", "file:/..."), not a plain local one. */
  public static boolean hasScheme(String text) {
    return SCHEME.matcher(text).lookingAt() && !looksLikeWindowsDrive(text);
  }

  private static boolean looksLikeWindowsDrive(String text) {
    return text.length() >= 2 && text.charAt(1) == ':' && Character.isLetter(text.charAt(0))
        && (text.length() == 2 || text.charAt(2) == '\\');
  }

  /** The path a user wrote, fully qualified: "file:/abs/path" for a local path, else its URI. */
  public static String qualified(String text) {
    return path(text).toString();
  }

  /** Whether the path is on the local file system (a plain path or file:). */
  public static boolean isLocal(String text) {
    String scheme = path(text).toUri().getScheme();
    return scheme == null || scheme.equals("file");
  }

  /** The local java.nio path of a local one (see {@link #isLocal}). */
  public static java.nio.file.Path localPath(String text) {
    return java.nio.file.Path.of(path(text).toUri());
  }

  /**
   * The last name of the path ("part-00000.csv"; "data.libsvm" for "data.libsvm/", whose
   * qualified URI ends in a slash when the directory exists).
   */
  public static String name(String text) {
    String p = path(text).toUri().getPath();
    if (p == null) {
      return "";
    }
    int end = p.length();
    while (end > 1 && p.charAt(end - 1) == '/') {
      end--;
    }
    return p.substring(p.lastIndexOf('/', end - 1) + 1, end);
  }

  static Path path(String text) {
    if (text == null || text.isBlank()) {
      throw new GradsparkException("Expected a path but found " + (text == null ? "none" : "\"\""),
          "give a file path, e.g. data/x.csv or hdfs://namenode:8020/data/x.csv");
    }
    try {
      if (hasScheme(text)) {
        // Hadoop's own parser, not java.net.URI: "?" is a glob character there, not a query, and
        // "{a,b}", "[0-9]" and spaces are allowed; Path.toString() parses back to the same path
        Path p = new Path(text);
        URI uri = p.toUri();
        if (uri.getScheme().equals("file") && (uri.getPath() == null
            || !uri.getPath().startsWith("/"))) {
          throw new URISyntaxException(text,
              "a file: URI needs an absolute path, e.g. file:/data/x");
        }
        String host = uri.getAuthority();
        if (uri.getScheme().equals("file") && host != null && !host.isEmpty()) {
          // Hadoop's local file system reads this machine only: "Wrong FS" deep inside otherwise
          throw new GradsparkException("\"" + text + "\" names a file on host \"" + host
              + "\", but a file: URI can only name a file on this machine",
              "write file:/" + stripSlash(uri.getPath()) + " (or a plain path) for a local file;"
                  + " for another machine's files use a shared file system, e.g. hdfs://"
                  + host + ":8020" + uri.getPath());
        }
        return p;
      }
      return new Path(java.nio.file.Path.of(text).toAbsolutePath().normalize().toUri());
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new GradsparkException("Cannot read \"" + text + "\" as a path: " + e.getMessage(),
          "write a local path, or one with a scheme such as file:/data/x.csv or "
              + "hdfs://namenode:8020/data/x.csv");
    }
  }

  private static String stripSlash(String path) {
    return path.startsWith("/") ? path.substring(1) : path;
  }

  /**
   * The file system of a path; refuses a scheme whose file system is not on the classpath,
   * naming the connector. what says which path it is ("training data"). One instance per
   * scheme and authority for the configuration in use, made with that configuration
   * ({@code FileSystem.newInstance}: Hadoop's own cache would hand back the first one made for
   * the scheme and authority, with the first configuration's settings, and asks for the current
   * user on every call, slow per split), and closed when that configuration is replaced or
   * released ({@link #configure}, {@link #release}).
   */
  public static FileSystem fileSystem(String text, String what) {
    Path p = path(text);
    URI uri = p.toUri();
    String key = uri.getScheme() + "://" + uri.getAuthority();
    Configuration conf = configuration();
    Map<String, Opened> opened = OPENED.computeIfAbsent(conf,
        c -> new java.util.concurrent.ConcurrentHashMap<>());
    Opened had = opened.get(key);
    if (had != null) {
      return had.fs();
    }
    try {
      FileSystem fs = FileSystem.newInstance(uri, conf);
      // the raw local file system: no .crc side files next to every output
      FileSystem raw = fs instanceof org.apache.hadoop.fs.LocalFileSystem local ? local.getRaw()
          : fs;
      Opened mine = new Opened(fs, raw);
      Opened now = opened.putIfAbsent(key, mine);
      if (now != null) {
        fs.close(); // another thread opened one first
        return now.fs();
      }
      return raw;
    } catch (UnsupportedFileSystemException e) {
      throw noFileSystem(p.toUri().getScheme(), text, what);
    } catch (NoClassDefFoundError e) {
      throw missingLibrary(p.toUri().getScheme(), text, what, e);
    } catch (IOException | RuntimeException e) {
      if (classNotFound(e)) {
        // core-default.xml names classes for s3a, abfs, wasb, adl, ...: a scheme whose
        // connector is missing fails with ClassNotFoundException, not as an unknown scheme
        throw noFileSystem(p.toUri().getScheme(), text, what);
      }
      throw new GradsparkException("Cannot open the file system of " + what + " " + text + ": "
          + reason(e), "check the address (host and port of the name node) and that it is up");
    }
  }

  /** A file system as opened (what is closed) and as handed out (the raw local one for file:). */
  private record Opened(FileSystem opened, FileSystem fs) {}

  /** The file systems opened under each configuration (by identity), by scheme and authority. */
  private static final Map<Configuration, Map<String, Opened>> OPENED =
      java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

  /** Closes the file systems opened here under conf. */
  private static void closeOpened(Configuration conf) {
    Map<String, Opened> opened = OPENED.remove(conf);
    if (opened != null) {
      for (Opened o : opened.values()) {
        try {
          o.opened().close();
        } catch (IOException e) {
          // closing: nothing left to tell anyone
        }
      }
    }
  }

  private static boolean classNotFound(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof ClassNotFoundException) {
        return true;
      }
    }
    return false;
  }

  /** The connector is there but a library it needs is not (hadoop-aws without the AWS SDK). */
  private static GradsparkException missingLibrary(String scheme, String text, String what,
      NoClassDefFoundError e) {
    GradsparkException noFs = noFileSystem(scheme, text, what);
    return new GradsparkException("The Hadoop file system for scheme \"" + scheme + "\" (" + what
        + " " + text + ") cannot load: class " + e.getMessage() + " is missing", noFs.hint());
  }

  /** Refuses a path whose scheme has no file system on the classpath, naming the connector. */
  public static void checkScheme(String text, String what) {
    Path p = path(text);
    String scheme = p.toUri().getScheme();
    try {
      FileSystem.getFileSystemClass(scheme, configuration());
    } catch (IOException e) {
      throw noFileSystem(scheme, text, what);
    } catch (NoClassDefFoundError e) {
      throw missingLibrary(scheme, text, what, e);
    } catch (RuntimeException e) {
      if (classNotFound(e)) {
        throw noFileSystem(scheme, text, what); // named in core-default.xml, class missing
      }
      throw e;
    }
  }

  /** Connectors by scheme: the artifact that provides each and how to add it. */
  private static final Map<String, String> CONNECTORS = Map.of(
      "s3a", "hadoop-aws (org.apache.hadoop:hadoop-aws:%s, which needs the AWS SDK bundle)",
      "gs", "the Cloud Storage connector (com.google.cloud.bigdataoss:gcs-connector)",
      "abfs", "hadoop-azure (org.apache.hadoop:hadoop-azure:%s)",
      "adl", "hadoop-azure-datalake (org.apache.hadoop:hadoop-azure-datalake:%s)",
      "abfss", "hadoop-azure (org.apache.hadoop:hadoop-azure:%s)",
      "wasb", "hadoop-azure (org.apache.hadoop:hadoop-azure:%s)",
      "wasbs", "hadoop-azure (org.apache.hadoop:hadoop-azure:%s)",
      "oss", "hadoop-aliyun (org.apache.hadoop:hadoop-aliyun:%s)");

  private static GradsparkException noFileSystem(String scheme, String text, String what) {
    String s = scheme.toLowerCase(Locale.ROOT);
    String version = org.apache.hadoop.util.VersionInfo.getVersion();
    String connector = CONNECTORS.get(s);
    String hint;
    if (s.equals("s3") || s.equals("s3n")) {
      hint = "write s3a://... instead: Hadoop reads S3 through the s3a connector (hadoop-aws)";
    } else if (connector != null) {
      hint = "put " + String.format(Locale.ROOT, connector, version) + " on the classpath: run "
          + "where the cluster's Spark provides it (managed clusters do), or pass it to "
          + "spark-submit with --packages or --jars; Gradspark does not bundle connectors";
    } else {
      hint = "put the Hadoop file system for \"" + scheme + "\" on the classpath (spark-submit "
          + "--packages or --jars), or use a local path or hdfs://";
    }
    return new GradsparkException("No Hadoop file system for scheme \"" + scheme + "\" ("
        + what + " " + text + ") is on the classpath (Hadoop " + version + ")", hint);
  }

  /** A file of a dataset: its qualified path, length in bytes and block size. */
  public record FileEntry(String path, long length, long blockSize) {}

  /**
   * The files a data path names, in name order: the file itself; every file of a directory (not
   * its subdirectories), leaving out names that start with "_" or "." ({@code _SUCCESS}, CRC
   * side files), as Hadoop's input formats do; or every file a glob matches. A path that names an
   * existing file or directory is taken literally, whatever characters its name holds ("run
   * [1].csv"); only a path that names nothing is matched as a pattern. Refuses a path that
   * matches nothing, a directory or glob without files, an empty file set, and, by name, a
   * member that is not a regular file (a pipe, a device, a socket) or a symbolic link that
   * points nowhere: such a member would hang the reader or silently drop its rows.
   */
  public static List<FileEntry> files(String text, String what) {
    FileSystem fs = fileSystem(text, what);
    Path p = path(text);
    List<FileStatus> found = new ArrayList<>();
    try {
      FileStatus literal = literal(fs, p);
      boolean pattern = literal == null && isGlob(text);
      FileStatus[] glob = literal != null ? new FileStatus[] {literal} : fs.globStatus(p);
      if (glob == null || glob.length == 0) {
        throw new GradsparkException(what + " " + text + ": "
            + (pattern ? "the pattern matches no file" : "no such file or directory"),
            "check the path (relative local paths start at the current directory "
                + java.nio.file.Path.of("").toAbsolutePath() + ")"
                + (pattern ? "; a path that exists is taken literally, one that does not is "
                    + "a pattern (* ? [ ] { })" : ""));
      }
      for (FileStatus s : glob) {
        if (s.isDirectory()) {
          checkMembers(fs, s.getPath(), text, what);
          for (FileStatus c : fs.listStatus(s.getPath())) {
            if (c.isFile() && !hidden(c.getPath().getName())) {
              checkRegular(fs, c.getPath(), text, what);
              found.add(c);
            }
          }
        } else if (s.isFile() && (!pattern || !hidden(s.getPath().getName()))) {
          checkRegular(fs, s.getPath(), text, what);
          found.add(s);
        }
      }
    } catch (FileNotFoundException e) {
      throw new GradsparkException(what + " " + text + ": no such file or directory",
          "check the path");
    } catch (IOException e) {
      throw new GradsparkException("Cannot list " + what + " " + text + ": " + reason(e),
          "check the path and that its file system is reachable");
    }
    if (found.isEmpty()) {
      throw new GradsparkException(what + " " + text + ": expected data files but found none"
          + " (names starting with _ or . are not data)", "check the path");
    }
    found.sort(Comparator.comparing(s -> s.getPath().toString()));
    List<FileEntry> out = new ArrayList<>(found.size());
    for (FileStatus s : found) {
      out.add(new FileEntry(s.getPath().toString(), s.getLen(), s.getBlockSize()));
    }
    return out;
  }

  /** The status of the path as written, not as a pattern; null when nothing is there. */
  private static FileStatus literal(FileSystem fs, Path p) throws IOException {
    try {
      return fs.getFileStatus(p);
    } catch (FileNotFoundException e) {
      return null;
    }
  }

  /**
   * Refuses, by name, a data file on the local file system that is not a regular file (Hadoop's
   * local file system reports a pipe or a device as a file: reading a pipe waits for a writer
   * for ever, a device such as /dev/zero never ends).
   */
  private static void checkRegular(FileSystem fs, Path file, String text, String what) {
    if (!(fs instanceof org.apache.hadoop.fs.RawLocalFileSystem)) {
      return; // HDFS and object stores hold only files and directories
    }
    java.nio.file.Path local = java.nio.file.Path.of(file.toUri());
    if (!java.nio.file.Files.isRegularFile(local)) {
      throw new GradsparkException(what + " " + text + ": " + local + " is not a regular file "
          + "(a pipe, a device or a socket" + (java.nio.file.Files.isSymbolicLink(local)
              ? ", through a symbolic link" : "") + ")",
          "remove it from the data, or name the data files with a glob that leaves it out");
    }
  }

  /**
   * Refuses a local data directory holding a symbolic link that points nowhere: Hadoop's listing
   * leaves it out without a word, and with it that file's rows.
   */
  private static void checkMembers(FileSystem fs, Path dir, String text, String what)
      throws IOException {
    if (!(fs instanceof org.apache.hadoop.fs.RawLocalFileSystem)) {
      return;
    }
    java.nio.file.Path local = java.nio.file.Path.of(dir.toUri());
    try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.list(local)) {
      for (java.nio.file.Path c : (Iterable<java.nio.file.Path>) s::iterator) {
        if (!hidden(c.getFileName().toString()) && java.nio.file.Files.isSymbolicLink(c)
            && !java.nio.file.Files.exists(c)) {
          throw new GradsparkException(what + " " + text + ": " + c + " is a symbolic link to "
              + java.nio.file.Files.readSymbolicLink(c) + ", which does not exist: its rows "
              + "would be missing", "restore the file it points to, or remove the link");
        }
      }
    }
  }

  private static boolean hidden(String name) {
    return name.startsWith("_") || name.startsWith(".");
  }

  /** Whether text is a glob pattern (has *, ?, [ or {). */
  public static boolean isGlob(String text) {
    return text.indexOf('*') >= 0 || text.indexOf('?') >= 0 || text.indexOf('[') >= 0
        || text.indexOf('{') >= 0;
  }

  /** The one regular file text names; refuses a directory, a glob and a missing file. */
  public static FileEntry file(String text, String what) {
    FileSystem fs = fileSystem(text, what);
    try {
      FileStatus s = fs.getFileStatus(path(text));
      if (!s.isFile()) {
        throw new GradsparkException(what + " " + text + " is a directory, not a file",
            "name the file itself");
      }
      return new FileEntry(s.getPath().toString(), s.getLen(), s.getBlockSize());
    } catch (FileNotFoundException e) {
      throw new GradsparkException(what + " " + text + ": no such file",
          "check the path (relative local paths start at the current directory "
              + java.nio.file.Path.of("").toAbsolutePath() + ")");
    } catch (IOException e) {
      throw new GradsparkException("Cannot read " + what + " " + text + ": " + reason(e),
          "check the path and that its file system is reachable");
    }
  }

  /** Opens a file (a qualified path from {@link #files}, or any path) at byte offset. */
  public static InputStream open(String path, long offset) throws IOException {
    Path p = path(path);
    FSDataInputStream in = fileSystem(path, "file").open(p, 1 << 16);
    if (offset > 0) {
      try {
        in.seek(offset);
      } catch (IOException | RuntimeException e) {
        in.close();
        throw e;
      }
    }
    return in;
  }

  /** Moves a stream from {@link #open} to byte offset pos of its file. */
  public static void seek(InputStream in, long pos) throws IOException {
    ((org.apache.hadoop.fs.Seekable) in).seek(pos);
  }

  /** Writes the bytes body produces to a new file, replacing none (the caller renames). */
  public interface Body {
    void write(OutputStream out) throws IOException;
  }

  /**
   * Bytes this thread has read from Hadoop file systems since the JVM started (every scheme):
   * Hadoop's per-thread statistics, what a task read as Spark's input metrics count it, plus what
   * this thread's vectored reads fetched that those statistics did not count here (Parquet reads
   * its column chunks with Hadoop's vectored reads, which the local file system serves on a
   * thread pool: its bytes would otherwise be missing). Callers take differences around a task,
   * so a run counts its own tasks' bytes.
   */
  public static long bytesReadOnThisThread() {
    return statisticsOnThisThread() + VECTORED_ELSEWHERE.get()[0];
  }

  /**
   * Per thread: bytes its vectored reads fetched outside Hadoop's statistics of the thread
   * ({@link #vectoredRead}). A thread-local count, as Hadoop's own statistics are.
   */
  private static final ThreadLocal<long[]> VECTORED_ELSEWHERE =
      ThreadLocal.withInitial(() -> new long[1]);

  /** Hadoop's per-thread statistics of this thread: bytes read, every scheme. */
  static long statisticsOnThisThread() {
    long total = 0;
    for (FileSystem.Statistics s : FileSystem.getAllStatistics()) {
      total += s.getThreadStatistics().getBytesRead();
    }
    return total;
  }

  /**
   * Records a vectored read issued by this thread: requested bytes in its ranges, of which
   * countedHere were counted by Hadoop's statistics of this thread during the call (all of them
   * where the file system reads in the caller, as HDFS does; none where it reads on other
   * threads, as the local file system does). The rest counts in {@link #bytesReadOnThisThread}.
   */
  static void vectoredRead(long requested, long countedHere) {
    VECTORED_ELSEWHERE.get()[0] += Math.max(0, requested - countedHere);
  }

  /** The root cause's message: "Connection refused", "No space left on device". */
  public static String reason(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    String m = c.getMessage() != null ? c.getMessage() : c.toString();
    // a name node's RemoteException carries the server's stack trace in its message
    int frames = m.indexOf("\n\tat ");
    m = (frames >= 0 ? m.substring(0, frames) : m).strip();
    return m.length() > 300 ? m.substring(0, 300) + "..." : m;
  }
}
