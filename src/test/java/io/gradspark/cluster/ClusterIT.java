package io.gradspark.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.gradspark.io.ModelFile;
import io.gradspark.nn.Network;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.network.TransportContext;
import org.apache.spark.network.client.TransportClient;
import org.apache.spark.network.client.TransportClientFactory;
import org.apache.spark.network.crypto.AuthClientBootstrap;
import org.apache.spark.network.sasl.SecretKeyHolder;
import org.apache.spark.network.server.NoOpRpcHandler;
import org.apache.spark.network.util.MapConfigProvider;
import org.apache.spark.network.util.TransportConf;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Gradspark on a real Spark standalone cluster on this machine: submit/local-cluster starts a
 * Master and eight Workers of one core (separate JVMs, loopback only, authentication on with a
 * generated secret); submit/gradspark trains on it in client mode. The cluster's models must be
 * bit for bit those of local[N] with the same partitions, for P = 1, 2, 3, 5 and 8 and every
 * step path (a star or a tree session, over TCP on the cluster and in the JVM on local[8], and a
 * job per step), each set of trainings one sweep, so one application (executors start once);
 * and with a session, also when an executor JVM is killed in the middle of the run. The numbers
 * (per-step time, bytes through the driver, recovery after the kill) are printed at the end.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
  private static final Path DIR = LocalCluster.HOME.resolve("target/it-cluster");
  private static final Path RUNS = DIR.resolve("runs");
  /** Two epochs show every property: the kill falls after the first, the second follows it. */
  private static final int EPOCHS = 2;
  /** MNIST subsets: 7,000 training rows (28 steps of 256 per epoch), 1,000 val, 2,000 test. */
  private static final List<String> CONFIG = List.of("--config", "conf/mnist.conf",
      "--set", "data.train.limit=8000", "--set", "data.validation.holdout=1000",
      "--set", "data.test.limit=2000", "--set", "training.epochs=" + EPOCHS);
  /** The matrix's P: even and odd trees, and one task. */
  private static final List<Integer> PARTITIONS = List.of(1, 2, 3, 5, 8);
  /**
   * The matrix's trainings: 1,000 rows (4 steps an epoch, the last one short: 232 rows) are
   * enough for the order of the additions; two epochs, so that a session spans epochs and their
   * evaluations (500 validation and 500 test rows).
   */
  private static final List<String> MATRIX = List.of("data.train.limit=1500",
      "data.validation.holdout=500", "data.test.limit=500", "training.epochs=2",
      "training.blas=java");
  /** What train's first line says of a step session over TCP, and of a job per step. */
  private static final String OVER_TCP =
      "steps in a session (tasks kept from step to step, over TCP)";
  private static final String IN_JVM = "steps in a session (tasks kept from step to step)";
  private static final String TREE = ", exchange tree";
  private static final Duration RUN_TIMEOUT = Duration.ofSeconds(240);
  /** How the driver (at WARN) reports a lost executor. */
  private static final Pattern EXECUTOR_LOST = Pattern.compile(
      "Lost executor|Executor lost|ExecutorLost|executor \\S+ removed|disassociated",
      Pattern.CASE_INSENSITIVE);

  private static final LocalCluster cluster = new LocalCluster(DIR);
  private static final List<TrainRun> runs = new ArrayList<>();
  private static final Map<String, String> results = new LinkedHashMap<>();
  private static final Set<Path> seenExecutorDirs = new HashSet<>();
  private static final Thread hook = new Thread(ClusterIT::cleanUp, "ClusterIT cleanup");
  private static long suiteStart;
  private static boolean cleanedUp;

  @BeforeAll
  static void startCluster() throws Exception {
    suiteStart = System.nanoTime();
    Runtime.getRuntime().addShutdownHook(hook);
    assertTrue(Files.isRegularFile(LocalCluster.HOME.resolve("target/gradspark-0.1.0-SNAPSHOT.jar")),
        "integration tests run after package: the shaded jar is missing");
    System.out.println(cluster.stop()); // whatever an interrupted earlier run left
    deleteRecursively(RUNS);
    Files.createDirectories(RUNS);

    long t = System.nanoTime();
    String out = cluster.start(8);
    System.out.println(out);
    results.put("cluster start (1 Master + 8 Workers registered)", seconds(t) + " s");
    String url = cluster.masterUrl();
    assertTrue(url.matches("spark://127\\.0\\.0\\.1:\\d+"), url);
    assertTrue(out.contains("submit/gradspark train --config conf/mnist.conf --master " + url),
        "start tells how to submit:\n" + out);
    assertEquals(8, cluster.workers().size());

    Path secret = DIR.resolve("secret");
    assertEquals(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
        Files.getPosixFilePermissions(secret));
    String key = Files.readString(secret).trim();
    assertTrue(key.matches("[0-9a-f]{64}"), "a 256-bit hex secret");
    assertTrue(Files.readString(DIR.resolve("logs/master.log")).contains("authentication enabled"));
    for (ProcessHandle p : cluster.processes()) {
      assertFalse(String.join(" ", LocalCluster.commandLine(p)).contains(key),
          "the secret is on the command line of PID " + p.pid());
    }
    results.put("Master + Workers listen on", assertLoopbackOnly(cluster.processes()));
  }

  /** Every TCP port the processes listen on is on 127.0.0.1; returns how many ports. */
  private static String assertLoopbackOnly(List<ProcessHandle> processes) throws IOException {
    int ports = 0;
    for (ProcessHandle p : processes) {
      List<String> addresses = LocalCluster.listening(p.pid());
      for (String a : addresses) {
        assertTrue(a.startsWith("loopback "), "PID " + p.pid() + " listens on " + a + ": "
            + LocalCluster.commandLine(p));
      }
      ports += addresses.size();
    }
    assertTrue(ports > 0, "no listening sockets found");
    return "127.0.0.1 only (" + processes.size() + " JVMs, " + ports + " ports)";
  }

  @AfterAll
  static void stopCluster() {
    cleanUp();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // shutting down already
    }
    results.put("whole ClusterIT", seconds(suiteStart) + " s");
    System.out.println("\n==== ClusterIT: measured on " + Runtime.getRuntime().availableProcessors()
        + " cores (load average now " + loadAverage() + ") ====");
    results.forEach((k, v) -> System.out.println(String.format(Locale.ROOT, "  %-58s %s", k, v)));
    List<ProcessHandle> left = cluster.processes();
    assertTrue(left.isEmpty(), "processes left behind: " + left);
  }

  /** Stops every driver this test started and the cluster, and kills whatever is left of it. */
  private static synchronized void cleanUp() {
    if (cleanedUp) {
      return;
    }
    cleanedUp = true;
    synchronized (runs) {
      runs.forEach(TrainRun::close);
    }
    System.out.println(cluster.stop());
    for (ProcessHandle p : cluster.processes()) {
      System.out.println("killing leftover PID " + p.pid() + ": " + LocalCluster.commandLine(p));
      p.destroyForcibly();
      try {
        p.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // reported by stopCluster
      }
    }
  }

  @Test
  @Order(1)
  void theMasterRefusesAWrongSecret() throws Exception {
    int port = Integer.parseInt(cluster.masterUrl().replaceAll(".*:", ""));
    String key = Files.readString(DIR.resolve("secret")).trim();
    Exception e = assertThrows(Exception.class, () -> connect(port, "0".repeat(64)));
    System.out.println("wrong secret refused: " + e);
    connect(port, key);
    results.put("Master RPC with a wrong secret", "refused; with the cluster's secret: accepted");
  }

  /** Opens an authenticated RPC connection (Spark's own protocol) to 127.0.0.1:port. */
  private static void connect(int port, String secret) throws Exception {
    TransportConf conf = new TransportConf("rpc", new MapConfigProvider(
        Map.of("spark.network.timeout", "10s", "spark.network.auth.rpcTimeout", "10s",
            // Spark's own protocol only: a refusal then says so, not a SASL fallback's error
            "spark.network.crypto.saslFallback", "false")));
    SecretKeyHolder keys = new SecretKeyHolder() {
      @Override
      public String getSaslUser(String appId) {
        return "sparkSaslUser";
      }

      @Override
      public String getSecretKey(String appId) {
        return secret;
      }
    };
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (TransportContext ctx = new TransportContext(conf, new NoOpRpcHandler());
        TransportClientFactory factory = ctx.createClientFactory(
            List.of(new AuthClientBootstrap(conf, "cluster-it", keys)))) {
      Future<TransportClient> client = pool.submit(() -> factory.createClient("127.0.0.1", port));
      client.get(30, TimeUnit.SECONDS).close();
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Every path a step can take, for P = 1, 2, 3, 5 and 8 (even and odd trees, and one task): a
   * star and a tree session and a job per step, in one application each on local[8] (sessions in
   * the JVM) and on the cluster's eight executors (sessions over TCP). Within a P every model and
   * history is bit for bit the same. Plain Java BLAS is forced on the driver: not what the
   * executors would pick on their own (netlib's default is a native library or the vector API
   * where either is there), so the cluster's models equal to local[8]'s show that the executors
   * ran on the driver's choice.
   */
  @Test
  @Order(2)
  void everyStepPathAndPartitioningOnTheClusterIsBitForBitLocals() throws Exception {
    Map<String, Path> local = sweep("local[8] matrix", "local[8]", List.of(), PARTITIONS);
    Map<String, Path> onCluster = sweep("cluster matrix", cluster.masterUrl(), List.of(),
        PARTITIONS);
    assertEquals(local.keySet(), onCluster.keySet());
    for (int p : PARTITIONS) {
      Path reference = local.get(point(p, "-", false));
      for (String key : local.keySet()) {
        if (key.startsWith(p + " ")) {
          assertIdentical(reference, local.get(key), "local[8] " + key + " vs jobs");
          assertIdentical(reference, onCluster.get(key), "cluster " + key + " vs local[8] jobs");
        }
      }
    }
    results.put("P = " + PARTITIONS + " x star, tree session, job per step; local[8], cluster",
        "bit-identical within each P (" + 2 * local.size() + " trainings)");
    for (String key : onCluster.keySet()) {
      JsonNode summary = summaryOf(onCluster.get(key));
      int p = summary.path("partitions").asInt();
      boolean session = key.endsWith("session");
      String exchange = key.split(" ")[1];
      assertEquals(p, Integer.parseInt(key.split(" ")[0]), key);
      assertEquals("java", summary.path("executor_blas").asText(), key + ": executors' BLAS");
      assertEquals(cluster.masterUrl(), summary.path("master").asText(), key);
      double w = 8.0 * summary.path("parameters").asLong();
      double driverBytes = summary.path("driver_bytes_per_step").asDouble();
      if (!session) {
        assertEquals(0, summary.path("step_sessions_started").asInt(), key);
        continue;
      }
      assertTrue(summary.path("step_sessions_started").asInt() >= 1, key + ": no session ran");
      assertEquals(exchange, summary.path("exchange").asText(), key);
      if (exchange.equals("tree")) {
        assertTrue(driverBytes <= 2.2 * w, key + ": a tree's driver bytes a step " + driverBytes
            + " > 2.2 W*8");
      } else {
        assertTrue(driverBytes >= (2 * p - 1) * w && driverBytes <= 2.2 * p * w,
            key + ": a star's driver bytes a step " + driverBytes + ", not ~2 P W*8");
      }
      results.put("cluster, " + key + ": driver bytes a step, per step",
          String.format(Locale.ROOT, "%.2f W*8, %s", driverBytes / w, perStep(summary)));
    }
    results.put("cluster executors (tasks run)", checkExecutors("java"));
  }

  /**
   * float32 on the cluster, P = 3: a star session and a job per step over TCP are bit for bit
   * local[8]'s (sessions in the JVM, which take the parameters as the driver holds them and round
   * them in their passes; the driver rounds them for other JVMs), and a star session's
   * parameters and sums travel as 4 bytes a value: about 2 P W*4 bytes through the driver a
   * step, half of float64's.
   */
  @Test
  @Order(3)
  void float32OnTheClusterIsBitForBitLocalsAtHalfTheBytes() throws Exception {
    List<String> float32 = List.of("training.precision=float32");
    Map<String, Path> local = sweep("local[8] float32", "local[8]", float32, List.of(3));
    Map<String, Path> onCluster = sweep("cluster float32", cluster.masterUrl(), float32,
        List.of(3));
    Path reference = local.get(point(3, "-", false));
    for (String key : local.keySet()) {
      assertIdentical(reference, local.get(key), "float32 local[8] " + key + " vs jobs");
      assertIdentical(reference, onCluster.get(key), "float32 cluster " + key + " vs local[8] jobs");
    }
    JsonNode star = summaryOf(onCluster.get(point(3, "star", true)));
    assertEquals("float32", star.path("precision").asText());
    double w = 4.0 * star.path("parameters").asLong();
    double driverBytes = star.path("driver_bytes_per_step").asDouble();
    assertTrue(driverBytes >= 5 * w && driverBytes <= 2.2 * 3 * w,
        "a float32 star's driver bytes a step " + driverBytes + ", not ~2 P W*4");
    results.put("cluster, float32 P = 3 star session, job per step: vs local[8]",
        String.format(Locale.ROOT, "bit-identical; star %.2f W*4 driver bytes a step",
            driverBytes / w));
  }

  /**
   * A sweep over partitions x (a star session, a tree session, a job per step) on master, in one
   * application, with the settings of {@link #MATRIX} and then sets; returns each point's trial
   * directory by "P star|tree session" and "P - jobs".
   */
  private static Map<String, Path> sweep(String name, String master, List<String> sets,
      List<Integer> partitions) throws Exception {
    List<String> args = new ArrayList<>(List.of("--config", "conf/mnist.conf",
        "--master", master, "--trials", "1"));
    for (String set : MATRIX) {
      args.addAll(List.of("--set", set));
    }
    for (String set : sets) {
      args.addAll(List.of("--set", set));
    }
    args.addAll(List.of("--grid", "training.partitions=" + partitions.stream()
        .map(String::valueOf).collect(java.util.stream.Collectors.joining(",")),
        // one axis of three step paths (HOCON objects merge into the config's training block)
        "--grid", "training={exchange=star};{exchange=tree};{sessions.enabled=false}"));
    Path out = RUNS.resolve(name.replaceAll("[^a-z0-9]", ""));
    TrainRun run = TrainRun.start(name, "sweep", out, lightExecutors(), args);
    synchronized (runs) {
      runs.add(run);
    }
    try {
      assertEquals(0, run.waitFor(RUN_TIMEOUT), name + " failed");
    } finally {
      run.close();
    }
    JsonNode sweep = json(out.resolve("sweep.json"));
    Map<String, Path> points = new java.util.TreeMap<>();
    for (JsonNode point : sweep.path("points")) {
      JsonNode v = point.path("values");
      String path = v.path("training").asText();
      String key = point(v.path("training.partitions").asInt(),
          path.contains("star") ? "star" : path.contains("tree") ? "tree" : "-",
          !path.contains("sessions.enabled=false"));
      assertEquals("ok", point.path("status").asText(), name + " " + key);
      points.put(key, out.resolve("point-" + point.path("point").asInt()).resolve("trial-0"));
    }
    assertEquals(partitions.size() * 3, points.size(), name + ": points " + points.keySet());
    results.put(name + ": " + points.size() + " trainings in one application",
        String.format(Locale.ROOT, "%.1f s", sweep.path("wall_seconds").asDouble()));
    return points;
  }

  /**
   * The cluster's environment, with executors on the C1 compiler only: they run short trainings
   * on plain Java BLAS, whose JIT work would cost the machine's two cores more than C1's slower
   * code (the arithmetic is the same: Java's floating point does not depend on the compiler).
   */
  private static Map<String, String> lightExecutors() {
    Map<String, String> env = new java.util.HashMap<>(cluster.env());
    env.put("JAVA_OPTS", "-Dspark.executor.extraJavaOptions=-XX:TieredStopAtLevel=1");
    return env;
  }

  private static String point(int partitions, String exchange, boolean session) {
    return partitions + " " + exchange + " " + (session ? "session" : "jobs");
  }

  private static JsonNode summaryOf(Path dir) throws IOException {
    return json(dir.resolve("summary.json"));
  }

  private static JsonNode json(Path file) throws IOException {
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(file.toFile());
  }

  /**
   * Two executors (spark.cores.max = 2 of the eight workers' cores), two partitions, the sums
   * merged in a tree over TCP; one executor is killed after the first epoch. The model and
   * history are bit for bit those of the same training on local[2] (a session in the JVM).
   */
  @Test
  @Order(4)
  void aKilledExecutorDoesNotChangeTheModel() throws Exception {
    TrainRun reference = run("local[2] reference", "local[2]", 2, IN_JVM);
    JsonNode undisturbedHistory = reference.history();
    Path out = RUNS.resolve("cluster-kill");
    // the executors on the default compilers here: where the driver picks the vector API (no
    // native BLAS, as on a fresh CI machine), C1 would run it without its intrinsics, slowly
    Map<String, String> env = new java.util.HashMap<>(cluster.env());
    env.put("JAVA_OPTS", "-Dspark.cores.max=2");
    TrainRun run = TrainRun.start("kill", out, env, args(cluster.masterUrl(), 2,
        "training.exchange=tree"));
    synchronized (runs) {
      runs.add(run);
    }
    try {
      TrainRun.Line first = run.await(epochLine(1), 0, RUN_TIMEOUT);
      assertNotNull(first, "the run never printed its first epoch");
      assertTrue(run.await(l -> l.contains("Training "), 0, Duration.ofSeconds(1)).text()
          .contains("2 partitions, " + OVER_TCP + TREE), "a tree session over TCP");
      List<LocalCluster.Executor> executors = currentAppExecutors();
      assertEquals(2, executors.size(), "two executors, one per worker: " + executors);
      assertEquals(2, executors.stream().map(LocalCluster.Executor::worker).distinct().count(),
          "two executors, one per worker: " + executors);
      // (the driver is among them: its --out is in the cluster's directory)
      List<ProcessHandle> jvms = cluster.processes();
      assertTrue(jvms.stream().anyMatch(p -> p.pid() == run.pid()), "the driver: " + jvms);
      results.put("driver + Master + Workers + executors listen on", assertLoopbackOnly(jvms));
      LocalCluster.Executor victim = executors.get(0);
      Set<Long> known = new HashSet<>();
      executors.forEach(e -> known.add(e.process().pid()));

      long kill = System.nanoTime();
      assertTrue(victim.process().destroyForcibly(), "SIGKILL " + victim.process().pid());
      victim.process().onExit().get(10, TimeUnit.SECONDS);
      System.out.printf(Locale.ROOT, "[kill] killed executor %s (PID %d, worker %d) after epoch 1%n",
          victim.executorId(), victim.process().pid(), victim.worker());
      ReplacementWatch watch = new ReplacementWatch(victim.appId(), known, kill);
      watch.start();

      TrainRun.Line lost = run.await(s -> EXECUTOR_LOST.matcher(s).find(), kill,
          Duration.ofSeconds(60));
      TrainRun.Line next = run.await(epochLine(2), kill, RUN_TIMEOUT);
      int exit = run.waitFor(RUN_TIMEOUT);
      long end = System.nanoTime();
      watch.interrupt();
      watch.join(5_000);
      assertEquals(0, exit, "the run with a killed executor failed");
      assertNotNull(next, "no epoch after the kill");
      assertIdentical(reference.out, out, "undisturbed local[2] vs killed-executor cluster run");

      results.put("killed executor: detected by the driver after", lost == null
          ? "(no loss line at WARN in the driver's output)"
          : ms(lost.nanos() - kill) + " (\"" + lost.text().strip() + "\")");
      results.put("killed executor: kill -> next epoch line (epoch 2)", ms(next.nanos() - kill));
      results.put("killed executor: kill -> end of the run", ms(end - kill));
      double disturbed = run.history().get(1).path("seconds").asDouble();
      double calm = undisturbedHistory.get(1).path("seconds").asDouble();
      results.put("killed executor: epoch 2 took (local[2] undisturbed: epoch 2)",
          String.format(Locale.ROOT, "%.2f s (%.2f s): +%.2f s", disturbed, calm,
              disturbed - calm));
      results.put("killed executor: replacement executor", watch.describe());
      results.put("killed-executor model vs undisturbed model",
          "bit-identical (W and b of every layer)");
      results.put("killed-executor run executors (tasks run)", checkExecutors(
          run.summary().path("blas").asText()));
    } finally {
      run.close();
    }
  }

  /** Polls for the executor the Master starts in place of the killed one. */
  private static final class ReplacementWatch extends Thread {
    private final String appId;
    private final Set<Long> known;
    private final long kill;
    private volatile long started = -1;
    private volatile long registered = -1;
    private volatile LocalCluster.Executor replacement;

    ReplacementWatch(String appId, Set<Long> known, long kill) {
      super("replacement watch");
      setDaemon(true);
      this.appId = appId;
      this.known = known;
      this.kill = kill;
    }

    @Override
    public void run() {
      try {
        while (!isInterrupted() && registered < 0) {
          if (replacement == null) {
            for (LocalCluster.Executor e : cluster.executors()) {
              if (e.appId().equals(appId) && !known.contains(e.process().pid())) {
                replacement = e;
                started = System.nanoTime();
              }
            }
          } else {
            Path log = replacement.stderr(DIR);
            if (Files.exists(log)
                && Files.readString(log).contains("Successfully registered with driver")) {
              registered = System.nanoTime();
            }
          }
          Thread.sleep(50);
        }
      } catch (InterruptedException | IOException e) {
        // the run is over
      }
    }

    String describe() {
      if (replacement == null) {
        return "none started before the run ended";
      }
      return "JVM started " + ms(started - kill) + " after the kill"
          + (registered < 0 ? ", not registered before the run ended"
              : ", registered with the driver after " + ms(registered - kill));
    }
  }

  /**
   * A run to its end on master with P partitions and the given settings, whose first line names
   * how steps run; fails unless it exits with 0.
   */
  private static TrainRun run(String name, String master, int partitions, String steps,
      String... sets) throws Exception {
    TrainRun run = TrainRun.start(name, RUNS.resolve(name.replaceAll("[^a-z0-9]", "")),
        cluster.env(), args(master, partitions, sets));
    synchronized (runs) {
      runs.add(run);
    }
    try {
      assertEquals(0, run.waitFor(RUN_TIMEOUT), name + " failed");
      TrainRun.Line first = run.await(l -> l.contains("Training "), 0, Duration.ofSeconds(1));
      assertNotNull(first, name + ": no first line");
      assertTrue(first.text().contains(partitions + " partitions, " + steps), first.text());
      return run;
    } finally {
      run.close();
    }
  }

  private static List<String> args(String url, int partitions, String... sets) {
    List<String> args = new ArrayList<>(CONFIG);
    args.addAll(List.of("--set", "training.partitions=" + partitions, "--master", url));
    for (String set : sets) {
      args.addAll(List.of("--set", set));
    }
    return args;
  }

  private static java.util.function.Predicate<String> epochLine(int epoch) {
    String prefix = "epoch " + epoch + "/" + EPOCHS + ":";
    return s -> s.contains(prefix);
  }

  /** The executors of the newest application (app ids grow). */
  private static List<LocalCluster.Executor> currentAppExecutors() {
    List<LocalCluster.Executor> all = cluster.executors();
    String app = all.stream().map(LocalCluster.Executor::appId).max(Comparator.naturalOrder())
        .orElseThrow(() -> new AssertionError("no executors run"));
    return all.stream().filter(e -> e.appId().equals(app)).toList();
  }

  /**
   * The W and b arrays of the two runs' model.npz files, compared as doubles with Arrays.equals,
   * and every epoch's losses and accuracies in their history.json, as written (shortest
   * round-trip decimals: equal text is equal bits).
   */
  static void assertIdentical(Path runA, Path runB, String what) throws IOException {
    JsonNode ha = json(runA.resolve("history.json"));
    JsonNode hb = json(runB.resolve("history.json"));
    assertEquals(ha.size(), hb.size(), what + ": epochs in history.json");
    for (int e = 0; e < ha.size(); e++) {
      for (String k : List.of("train_loss", "val_loss", "val_accuracy", "test_loss",
          "test_accuracy")) {
        assertEquals(ha.get(e).path(k).asText(), hb.get(e).path(k).asText(),
            what + ": history epoch " + (e + 1) + " " + k);
      }
    }
    ModelFile.Loaded a = ModelFile.load(runA.resolve("model.npz"));
    ModelFile.Loaded b = ModelFile.load(runB.resolve("model.npz"));
    Network net = a.net();
    assertTrue(Arrays.equals(net.sizes(), b.net().sizes()), what + ": different layers");
    int[] sizes = net.sizes();
    for (int l = 0; l < net.layers(); l++) {
      int w = net.weightOffset(l);
      int bias = net.biasOffset(l);
      double[] wa = Arrays.copyOfRange(a.params(), w, w + sizes[l] * sizes[l + 1]);
      double[] wb = Arrays.copyOfRange(b.params(), w, w + sizes[l] * sizes[l + 1]);
      double[] ba = Arrays.copyOfRange(a.params(), bias, bias + sizes[l + 1]);
      double[] bb = Arrays.copyOfRange(b.params(), bias, bias + sizes[l + 1]);
      if (!Arrays.equals(wa, wb)) {
        fail(what + ": W" + (l + 1) + " differs first at " + Arrays.mismatch(wa, wb));
      }
      if (!Arrays.equals(ba, bb)) {
        fail(what + ": b" + (l + 1) + " differs first at " + Arrays.mismatch(ba, bb));
      }
    }
  }

  /**
   * The executors of the runs since the last call: each must have run with the driver's BLAS
   * (netlib logs each implementation it fails to load; VectorBLAS needs the vector module on the
   * executor's command line). Returns their task counts.
   */
  private static String checkExecutors(String driverBlas) throws IOException {
    // summary.json's blas is "native (FILE)", "vector" or "java": netlib's class of each
    String blas = driverBlas.startsWith("native") ? "JNIBLAS"
        : driverBlas.startsWith("vector") ? "VectorBLAS" : "Java11BLAS";
    List<Path> dirs = new ArrayList<>();
    try (Stream<Path> s = Files.find(DIR.resolve("work"), 3,
        (p, a) -> p.getFileName().toString().matches("\\d+") && a.isDirectory())) {
      s.filter(seenExecutorDirs::add).sorted().forEach(dirs::add);
    }
    assertFalse(dirs.isEmpty(), "no executor ran");
    List<String> tasks = new ArrayList<>();
    for (Path d : dirs) {
      String log = Files.readString(d.resolve("stderr"));
      String command = log.lines().findFirst().orElse("");
      assertTrue(command.startsWith("Spark Executor Command:"), d + ": " + command);
      assertFalse(log.contains("Failed to load implementation from:dev.ludovic.netlib.blas." + blas),
          d + " could not load " + blas + ", which the driver used");
      if (blas.equals("VectorBLAS")) {
        assertTrue(command.contains("--add-modules=jdk.incubator.vector"), d + ": " + command);
      }
      long n = log.lines().filter(x -> x.contains("Running task")).count();
      tasks.add(DIR.resolve("work").relativize(d).toString().replaceAll("app-[0-9-]+/", "exec ")
          + ": " + n);
    }
    return String.join(", ", tasks) + "; BLAS " + blas + " in each";
  }

  private static String perStep(JsonNode summary) {
    double s = summary.path("train_seconds").asDouble();
    int steps = summary.path("steps").asInt();
    return String.format(Locale.ROOT, "%.1f ms (%.2f s / %d steps)", 1000 * s / steps, s, steps);
  }

  private static String seconds(long since) {
    return String.format(Locale.ROOT, "%.1f", (System.nanoTime() - since) / 1e9);
  }

  private static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.0f ms", nanos / 1e6);
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (IOException e) {
      return "?";
    }
  }

  private static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
  }
}
