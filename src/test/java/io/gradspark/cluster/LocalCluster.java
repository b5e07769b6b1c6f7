package io.gradspark.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster started with {@code submit/local-cluster} in its own state directory
 * (so that it never touches a cluster a developer runs from target/local-cluster), on free ports,
 * and the processes it runs: its daemons by PID file, its executors as the Workers' children.
 */
final class LocalCluster {
  static final Path HOME =
      Path.of(System.getProperty("gradspark.home", System.getProperty("user.dir")))
          .toAbsolutePath().normalize();

  final Path dir;
  private String masterUrl;

  LocalCluster(Path dir) {
    this.dir = dir;
  }

  /** The environment that makes the script and the launcher use this cluster's directory. */
  Map<String, String> env() {
    return Map.of("GRADSPARK_CLUSTER_DIR", dir.toString());
  }

  /** Starts a Master and n Workers; returns the script's output. */
  String start(int workers) throws IOException, InterruptedException {
    Map<String, String> env = new HashMap<>(env());
    env.put("SPARK_MASTER_PORT", Integer.toString(freePort()));
    env.put("SPARK_MASTER_WEBUI_PORT", Integer.toString(freePort()));
    env.put("SPARK_WORKER_WEBUI_PORT", "0");
    // a Worker JVM's start takes longer the more start at once on a busy machine: 90 s for
    // two, 30 s more for each further Worker
    int wait = 90 + 30 * Math.max(0, workers - 2);
    env.put("LOCAL_CLUSTER_TIMEOUT", Integer.toString(wait));
    if (workers > 2) {
      env.put("SPARK_DAEMON_MEMORY", "256m"); // eight Workers' daemons on one machine
    }
    Result r = script(env, Duration.ofSeconds(wait + 60), "start", Integer.toString(workers));
    if (r.exit != 0) {
      throw new AssertionError("submit/local-cluster start failed (" + r.exit + "):\n" + r.output);
    }
    masterUrl = Files.readString(dir.resolve("master-url")).trim();
    return r.output;
  }

  String masterUrl() {
    return masterUrl;
  }

  /** Stops the cluster by PID (the script), whatever state it is in; returns its output. */
  String stop() {
    try {
      return script(env(), Duration.ofSeconds(60), "stop").output;
    } catch (IOException | InterruptedException | RuntimeException e) {
      return "submit/local-cluster stop failed: " + e;
    }
  }

  String status() throws IOException, InterruptedException {
    return script(env(), Duration.ofSeconds(30), "status").output;
  }

  record Result(int exit, String output) {}

  private Result script(Map<String, String> env, Duration timeout, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(HOME.resolve("submit/local-cluster").toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(HOME.toFile()).redirectErrorStream(true);
    pb.environment().putAll(env);
    Path out = Files.createTempFile("local-cluster", ".log");
    pb.redirectOutput(out.toFile());
    Process p = pb.start();
    try {
      if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("submit/local-cluster " + String.join(" ", args)
            + " did not finish within " + timeout.toSeconds() + " s:\n" + Files.readString(out));
      }
      return new Result(p.exitValue(), Files.readString(out));
    } finally {
      p.destroyForcibly();
      Files.deleteIfExists(out);
    }
  }

  /** The Workers' PIDs (from their PID files) and their numbers (worker-N.pid). */
  Map<Long, Integer> workers() {
    Map<Long, Integer> pids = new HashMap<>();
    try (Stream<Path> files = Files.list(dir.resolve("pids"))) {
      for (Path f : files.toList()) {
        String name = f.getFileName().toString();
        if (name.startsWith("worker-") && name.endsWith(".pid")) {
          pids.put(Long.parseLong(Files.readString(f).trim()),
              Integer.parseInt(name.substring("worker-".length(), name.length() - 4)));
        }
      }
    } catch (IOException | NumberFormatException e) {
      // no cluster, no workers
    }
    return pids;
  }

  /** An executor JVM a Worker of this cluster started. */
  record Executor(ProcessHandle process, int worker, String appId, String executorId) {
    /** Its stderr (Spark's log), in the Worker's work directory. */
    Path stderr(Path clusterDir) {
      return clusterDir.resolve("work/worker-" + worker).resolve(appId).resolve(executorId)
          .resolve("stderr");
    }
  }

  /**
   * The executors that run now: CoarseGrainedExecutorBackend processes (found by their command
   * lines) whose parent is one of this cluster's Workers.
   */
  List<Executor> executors() {
    Map<Long, Integer> workers = workers();
    List<Executor> found = new ArrayList<>();
    ProcessHandle.allProcesses().forEach(ph -> {
      Optional<ProcessHandle> parent = ph.parent();
      Integer worker = parent.map(pp -> workers.get(pp.pid())).orElse(null);
      if (worker == null) {
        return;
      }
      List<String> args = commandLine(ph);
      if (args.contains("org.apache.spark.executor.CoarseGrainedExecutorBackend")) {
        found.add(new Executor(ph, worker, after(args, "--app-id"), after(args, "--executor-id")));
      }
    });
    return found;
  }

  /** Every process whose command line mentions this cluster's directory (daemons, executors). */
  List<ProcessHandle> processes() {
    String marker = dir.toString();
    return ProcessHandle.allProcesses()
        .filter(ph -> ph.pid() != ProcessHandle.current().pid())
        .filter(ph -> String.join(" ", commandLine(ph)).contains(marker))
        .toList();
  }

  /** A process's arguments, from /proc (complete, unlike what ProcessHandle may report). */
  static List<String> commandLine(ProcessHandle ph) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(ph.pid()), "cmdline"));
      List<String> args = new ArrayList<>();
      int start = 0;
      for (int i = 0; i < raw.length; i++) {
        if (raw[i] == 0) {
          args.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
          start = i + 1;
        }
      }
      return args;
    } catch (IOException | SecurityException e) {
      return ph.info().arguments().map(a -> {
        List<String> l = new ArrayList<>();
        ph.info().command().ifPresent(l::add);
        l.addAll(List.of(a));
        return l;
      }).orElse(List.of());
    }
  }

  /**
   * The TCP addresses a process listens on (from /proc: its socket inodes, looked up in the
   * kernel's tables), as "loopback host:port" or "NOT LOOPBACK hex:port".
   */
  static List<String> listening(long pid) throws IOException {
    Set<String> inodes = new HashSet<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      for (Path fd : fds.toList()) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")) {
            inodes.add(target.substring(8, target.length() - 1));
          }
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    }
    List<String> found = new ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      List<String> rows = Files.readAllLines(Path.of(table));
      for (String row : rows.subList(1, rows.size())) {
        String[] f = row.trim().split("\\s+");
        // f[1] local address:port (hex), f[3] state (0A = LISTEN), f[9] inode
        if (f.length > 9 && f[3].equals("0A") && inodes.contains(f[9])) {
          String[] hostPort = f[1].split(":");
          int port = Integer.parseInt(hostPort[1], 16);
          String h = hostPort[0];
          boolean loopback = h.length() == 8 ? h.endsWith("7F")
              : h.startsWith("0000000000000000FFFF0000") && h.endsWith("7F")
                  || h.equals("00000000000000000000000001000000");
          found.add((loopback ? "loopback " : "NOT LOOPBACK ") + h + ":" + port);
        }
      }
    }
    return found;
  }

  private static String after(List<String> args, String flag) {
    int i = args.indexOf(flag);
    return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : "?";
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }
}
