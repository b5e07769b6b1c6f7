package io.gradspark.fs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.BlockLocation;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * The one real HDFS of a test JVM (unit tests under surefire, integration tests under failsafe): a
 * {@link MiniDFSCluster} with one name node and one data node, started on first use and shared,
 * stopped by a shutdown hook when the JVM exits. Everything listens on 127.0.0.1 only (ephemeral
 * ports), its storage is a fresh directory under {@code target/minihdfs/}, removed at shutdown.
 *
 * <p>Files copied in with {@link #copyIn} get {@link #BLOCK_SIZE} blocks (1 MiB, or any block size
 * down to {@link #MIN_BLOCK_SIZE}), so a small CSV spans several blocks and splits. In this JVM,
 * every client of {@link #uri()} (HadoopPaths, the checkpoint store) is the cluster's own, cached
 * by Hadoop, and writes the same way: 1 MiB blocks, one replica. Another JVM (a launcher
 * subprocess) writes with its own configuration (Hadoop's defaults: 128 MiB blocks, replication
 * 3, which the one data node accepts, under-replicated); {@link #clientSettings} are the settings
 * to pass it ({@code --conf spark.hadoop.KEY=VALUE}) to write as here.
 *
 * <p>Other JVMs reach it through {@link #uri()} ({@code hdfs://127.0.0.1:PORT}), e.g. a launcher
 * started by an integration test; it lives as long as the JVM that started it. Its threads are
 * not daemons: that JVM ends with System.exit (surefire's and failsafe's forked JVMs do) or a
 * signal, and the shutdown hook stops the cluster.
 */
public final class MiniHdfs {
  /** The block size of files copied in (1 MiB). */
  public static final long BLOCK_SIZE = 1 << 20;
  /** The smallest block size the name node accepts (4 KiB; Hadoop's default minimum is 1 MiB). */
  public static final long MIN_BLOCK_SIZE = 4096;

  private static MiniHdfs shared;

  private final MiniDFSCluster cluster;
  private final Path base;
  private final String uri;
  private final FileSystem fs;
  private final double startSeconds;
  private boolean stopped;

  /**
   * The shared cluster, started on the first call: about 12 s of CPU, 9 s here at best and more
   * on a busy machine (it prints both figures).
   */
  public static synchronized MiniHdfs get() {
    if (shared == null) {
      shared = new MiniHdfs();
      MiniHdfs started = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(started::shutdown, "minihdfs-shutdown"));
    }
    return shared;
  }

  private MiniHdfs() {
    long t0 = System.nanoTime();
    long cpu0 = processCpuNanos();
    Path root = Path.of(System.getProperty("basedir", System.getProperty("user.dir")))
        .toAbsolutePath().resolve("target/minihdfs");
    try {
      Files.createDirectories(root);
      removeLeftovers(root);
      base = Files.createTempDirectory(root, ProcessHandle.current().pid() + "-");
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create the MiniHdfs directory in " + root, e);
    }
    // some Hadoop test code finds its scratch directory by this property (default: a relative
    // build/test/data, i.e. outside target/ when run from the project directory)
    if (System.getProperty(MiniDFSCluster.PROP_TEST_BUILD_DATA) == null) {
      System.setProperty(MiniDFSCluster.PROP_TEST_BUILD_DATA, base.resolve("test-data").toString());
    }
    Configuration conf = new Configuration();
    conf.set("hadoop.tmp.dir", base.resolve("tmp").toString());
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.resolve("dfs").toString());
    // loopback only, on free ports (the builder sets the name node's RPC and HTTP addresses to
    // localhost:PORT; the bind hosts make them 127.0.0.1 wherever localhost resolves)
    conf.set("dfs.namenode.rpc-address", "127.0.0.1:0");
    conf.set("dfs.namenode.rpc-bind-host", "127.0.0.1");
    conf.set("dfs.namenode.http-address", "127.0.0.1:0");
    conf.set("dfs.namenode.http-bind-host", "127.0.0.1");
    conf.set("dfs.datanode.address", "127.0.0.1:0");
    conf.set("dfs.datanode.http.address", "127.0.0.1:0");
    conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
    conf.set("dfs.http.policy", "HTTP_ONLY");
    // small blocks, one copy of each
    conf.setLong("dfs.blocksize", BLOCK_SIZE);
    conf.setLong("dfs.namenode.fs-limits.min-block-size", MIN_BLOCK_SIZE);
    conf.setInt("dfs.replication", 1);
    conf.setBoolean("dfs.client.block.write.replace-datanode-on-failure.enable", false);
    // start fast: no safe-mode wait, heartbeats every second, no WebHDFS, no block scanner
    conf.setInt("dfs.namenode.safemode.extension", 0);
    conf.setLong("dfs.heartbeat.interval", 1);
    conf.setBoolean("dfs.webhdfs.enabled", false);
    conf.setLong("dfs.block.scanner.volume.bytes.per.second", 0);
    // a client adds the next block, or closes the file, without waiting for the data node to
    // report the previous one (small blocks are written faster than it reports them)
    conf.setInt("dfs.namenode.file.close.num-committed-allowed", 1);
    // the web servers' files under target/ too (Jetty unpacks the web UIs in java.io.tmpdir, and
    // the HTTP authentication secret is read from the home directory by default)
    Path secret = base.resolve("http-auth-secret");
    try {
      Files.writeString(secret, Long.toHexString(new java.security.SecureRandom().nextLong()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    conf.set("hadoop.http.authentication.signature.secret.file", secret.toString());
    conf.set("hadoop.http.temp.dir", base.resolve("http-namenode").toString());
    Configuration dataNode = new Configuration(false);
    dataNode.set("hadoop.http.temp.dir", base.resolve("http-datanode").toString());
    try {
      cluster = new MiniDFSCluster.Builder(conf, base.resolve("dfs").toFile())
          .numDataNodes(1)
          .storagesPerDatanode(1)
          .enableManagedDfsDirsRedundancy(false)
          .dataNodeConfOverlays(new Configuration[] {dataNode})
          .nameNodePort(0)
          .nameNodeHttpPort(0)
          .checkDataNodeAddrConfig(true)
          .format(true)
          .build();
      cluster.waitActive();
      uri = "hdfs://127.0.0.1:" + cluster.getNameNodePort();
      // Hadoop caches one client per scheme and host:port, whatever configuration later callers
      // pass: this one, with the cluster's settings, is the one every caller in this JVM gets
      fs = FileSystem.get(java.net.URI.create(uri), conf);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start MiniDFSCluster in " + base, e);
    }
    startSeconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("MiniHdfs: %s started in %.2f s (%.2f s of CPU; storage %s)%n", uri,
        startSeconds, (processCpuNanos() - cpu0) / 1e9, base);
  }

  private static long processCpuNanos() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : 0;
  }

  /** Directories of JVMs that are gone (killed before their shutdown hook ran). */
  private static void removeLeftovers(Path root) throws IOException {
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path d : dirs.toList()) {
        String name = d.getFileName().toString();
        int dash = name.indexOf('-');
        if (dash <= 0) {
          continue;
        }
        try {
          long pid = Long.parseLong(name.substring(0, dash));
          if (ProcessHandle.of(pid).isEmpty()) {
            deleteTree(d);
          }
        } catch (NumberFormatException ignored) {
          // not one of ours
        }
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** "hdfs://127.0.0.1:PORT", the file system's URI, without a trailing slash. */
  public String uri() {
    return uri;
  }

  /** The hdfs:// URI of an absolute HDFS path ("/data/x.csv"). */
  public String path(String absolute) {
    if (!absolute.startsWith("/")) {
      throw new IllegalArgumentException("expected an absolute HDFS path, got " + absolute);
    }
    return uri + absolute;
  }

  /** The seconds start-up took. */
  public double startSeconds() {
    return startSeconds;
  }

  /** The cluster's own client (1 MiB blocks, replication 1). */
  public FileSystem fileSystem() {
    return fs;
  }

  /**
   * Settings for another client of this cluster (a subprocess's Hadoop configuration, or
   * {@code spark.hadoop.}-prefixed for Spark) so it writes files as {@link #copyIn} does.
   */
  public static Map<String, String> clientSettings() {
    return Map.of("dfs.replication", "1", "dfs.blocksize", Long.toString(BLOCK_SIZE),
        "dfs.client.block.write.replace-datanode-on-failure.enable", "false");
  }

  private org.apache.hadoop.fs.Path hadoopPath(String pathOrUri) {
    return new org.apache.hadoop.fs.Path(pathOrUri.startsWith("/") ? path(pathOrUri) : pathOrUri);
  }

  /** Copies a local file to an HDFS path (absolute, or a URI of this cluster) in 1 MiB blocks. */
  public String copyIn(Path local, String to) {
    return copyIn(local, to, BLOCK_SIZE);
  }

  /**
   * Copies a local file to an HDFS path with the given block size (a multiple of 512 bytes, at
   * least {@link #MIN_BLOCK_SIZE}); returns its hdfs:// URI.
   */
  public String copyIn(Path local, String to, long blockSize) {
    org.apache.hadoop.fs.Path p = hadoopPath(to);
    try (InputStream in = Files.newInputStream(local);
        OutputStream out = fs.create(p, true, 1 << 16, (short) 1, blockSize)) {
      in.transferTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot copy " + local + " to " + p, e);
    }
    return p.toString();
  }

  /** Writes bytes to an HDFS path (absolute, or a URI of this cluster); returns its URI. */
  public String write(String to, byte[] bytes, long blockSize) {
    org.apache.hadoop.fs.Path p = hadoopPath(to);
    try (OutputStream out = fs.create(p, true, 1 << 16, (short) 1, blockSize)) {
      out.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + p, e);
    }
    return p.toString();
  }

  /** Writes bytes in 1 MiB blocks. */
  public String write(String to, byte[] bytes) {
    return write(to, bytes, BLOCK_SIZE);
  }

  /** The whole content of an HDFS file (absolute path, or a URI of this cluster). */
  public byte[] read(String from) {
    try (InputStream in = fs.open(hadoopPath(from))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + from, e);
    }
  }

  /** Copies an HDFS file to a local one. */
  public void copyOut(String from, Path local) {
    try (InputStream in = fs.open(hadoopPath(from))) {
      Files.copy(in, local, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot copy " + from + " to " + local, e);
    }
  }

  /** The number of blocks an HDFS file is stored in. */
  public int blocks(String file) {
    try {
      FileStatus s = fs.getFileStatus(hadoopPath(file));
      BlockLocation[] b = fs.getFileBlockLocations(s, 0, s.getLen());
      return b.length;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list the blocks of " + file, e);
    }
  }

  /** Creates a directory (and its parents); returns its URI. */
  public String mkdirs(String dir) {
    org.apache.hadoop.fs.Path p = hadoopPath(dir);
    try {
      fs.mkdirs(p);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create " + p, e);
    }
    return p.toString();
  }

  /** Removes a file or a directory tree, if there. */
  public void delete(String pathOrUri) {
    try {
      fs.delete(hadoopPath(pathOrUri), true);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + pathOrUri, e);
    }
  }

  /**
   * Stops the cluster and removes its storage (the shutdown hook calls it; later calls do
   * nothing). During JVM shutdown Hadoop's own shutdown hooks are already running, and a data
   * node that stops then fails to unregister its hook ("Shutdown in progress"): that failure is
   * expected and not reported, and the name node is stopped all the same.
   */
  public synchronized void shutdown() {
    if (stopped) {
      return;
    }
    stopped = true;
    long t0 = System.nanoTime();
    Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
    // the data node's heartbeat thread meets the same failure as it ends
    Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
      if (!unregisteringInShutdown(e)) {
        if (previous != null) {
          previous.uncaughtException(t, e);
        } else {
          System.err.print("Exception in thread \"" + t.getName() + "\" ");
          e.printStackTrace();
        }
      }
    });
    try {
      cluster.shutdownDataNodes();
    } catch (RuntimeException e) {
      if (!unregisteringInShutdown(e)) {
        System.err.println("MiniHdfs: stopping the data node: " + e);
      }
    }
    try {
      cluster.shutdownNameNodes();
    } catch (RuntimeException e) {
      System.err.println("MiniHdfs: stopping the name node: " + e);
    }
    // a thread of the data node may still write a file as the directory goes: try again
    for (int attempt = 1; ; attempt++) {
      try {
        deleteTree(base);
        break;
      } catch (IOException e) {
        if (attempt == 5) {
          System.err.println("MiniHdfs: cannot remove " + base + " (the next start removes it): "
              + e);
          break;
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    System.out.printf("MiniHdfs: stopped in %.2f s%n", (System.nanoTime() - t0) / 1e9);
  }

  private static boolean unregisteringInShutdown(Throwable e) {
    return e instanceof IllegalStateException && e.getMessage() != null
        && e.getMessage().startsWith("Shutdown in progress");
  }
}
