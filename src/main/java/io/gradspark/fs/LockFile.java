package io.gradspark.fs;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exclusive hold on a directory of any Hadoop file system, where there is no OS lock: a lock
 * file created exclusively, which names its holder (host, pid, start time and a random token),
 * and whose modification time a heartbeat thread refreshes every {@value #HEARTBEAT_MS} ms while
 * the holder runs. {@link #close} deletes it, however the holder ends short of SIGKILL (a JVM
 * killed that way leaves it behind).
 *
 * <p>A lock file is stale, and is taken over, when it names this host and a process that is not
 * alive (or this JVM, without this JVM holding it), or when its heartbeat is older than
 * {@value #STALE_MS} ms (a holder on another host that died; its clock and this one are taken to
 * agree to within that margin, as a cluster's do). A take-over renames the stale file away first,
 * so of two runs that find it stale at once only one removes it, and then creates the lock as any
 * run does; one that renamed a fresh lock by mistake (it was replaced in between) puts it back.
 */
public final class LockFile implements AutoCloseable {
  /** How often the holder refreshes the lock file's modification time. */
  public static final long HEARTBEAT_MS = 5_000;
  /** A lock whose heartbeat is older than this is stale. */
  public static final long STALE_MS = 60_000;

  private static final SecureRandom RANDOM = new SecureRandom();
  /** Tokens of the locks this JVM holds. */
  private static final Set<String> HELD = ConcurrentHashMap.newKeySet();
  private static final String HOST = hostName();
  private static final long PID = ProcessHandle.current().pid();

  private final String file;
  private final String token;
  private final Thread heartbeat;
  private final long heartbeatMs;
  private volatile boolean closed;
  private volatile boolean lost;

  private LockFile(String file, String token, long heartbeatMs) {
    this.file = file;
    this.token = token;
    this.heartbeatMs = heartbeatMs;
    this.heartbeat = new Thread(this::beat, "gradspark-lock-heartbeat");
    heartbeat.setDaemon(true);
    heartbeat.start();
  }

  /** What a lock file says of its holder; raw is the text as read. */
  public record Holder(String host, long pid, String started, String token, long heartbeat,
      String raw) {
    /** "host h, pid p, started t, last heartbeat 12 s ago". */
    public String describe() {
      long age = Math.max(0, System.currentTimeMillis() - heartbeat) / 1000;
      return (host == null ? "an unknown holder" : "host " + host + ", pid " + pid + ", started "
          + started) + ", last heartbeat " + age + " s ago";
    }
  }

  /** The result of {@link #tryAcquire}: the lock, or (lock null) who holds it. */
  public record Attempt(LockFile lock, Holder holder) {}

  /**
   * Takes the lock file (its directory must exist), taking over a stale one; or, when a live
   * holder has it, returns who that is.
   */
  public static Attempt tryAcquire(String file) throws IOException {
    return tryAcquire(file, HEARTBEAT_MS);
  }

  /** As {@link #tryAcquire(String)}, the heartbeat every heartbeatMs ms (tests use a short one). */
  static Attempt tryAcquire(String file, long heartbeatMs) throws IOException {
    for (int attempt = 0; attempt < 3; attempt++) {
      String token = Long.toHexString(RANDOM.nextLong()) + Long.toHexString(RANDOM.nextLong());
      // held before the file exists: a reader of this JVM's lock file must not find it stale
      HELD.add(token);
      boolean created = false;
      try {
        created = HadoopFiles.createExclusive(file, content(token));
      } finally {
        if (!created) {
          HELD.remove(token);
        }
      }
      if (created) {
        try {
          // the heartbeat is the holder's clock, as the staleness check on another host reads it
          HadoopFiles.setModificationTime(file, System.currentTimeMillis());
        } catch (IOException e) {
          // the name node's creation time stands in for it
        }
        return new Attempt(new LockFile(file, token, heartbeatMs), null);
      }
      Holder h = read(file);
      if (h == null) {
        continue; // removed meanwhile: try again
      }
      if (!stale(h)) {
        return new Attempt(null, h);
      }
      takeOver(file, h);
    }
    Holder h = read(file);
    return new Attempt(null, h != null ? h
        : new Holder(null, -1, null, null, System.currentTimeMillis(), ""));
  }

  /** Removes the stale lock h: renamed away first, so that only one of several takers does. */
  private static void takeOver(String file, Holder h) throws IOException {
    String aside = file + ".stale-" + Long.toHexString(RANDOM.nextLong());
    if (!HadoopFiles.rename(file, aside)) {
      return; // another taker was first
    }
    byte[] moved = HadoopFiles.readIfExists(aside);
    String text = moved == null ? null : new String(moved, StandardCharsets.UTF_8);
    if (text != null && !text.equals(h.raw())) {
      // the stale lock had been replaced by a live one in between: put that one back
      if (!HadoopFiles.rename(aside, file)) {
        HadoopFiles.deleteQuietly(aside);
      }
      return;
    }
    HadoopFiles.deleteQuietly(aside);
  }

  /** Whether the holder is gone: see the class comment. */
  static boolean stale(Holder h) {
    if (h.host() != null && h.host().equals(HOST)) {
      if (h.pid() == PID) {
        return !HELD.contains(h.token());
      }
      if (h.pid() > 0 && ProcessHandle.of(h.pid()).map(ProcessHandle::isAlive).orElse(false)) {
        return System.currentTimeMillis() - h.heartbeat() > STALE_MS; // a reused pid, or hung
      }
      return true;
    }
    return System.currentTimeMillis() - h.heartbeat() > STALE_MS;
  }

  /** The holder a lock file names, or null when there is no lock file. */
  public static Holder read(String file) throws IOException {
    byte[] b = HadoopFiles.readIfExists(file);
    long mtime = HadoopFiles.modificationTime(file);
    if (b == null || mtime < 0) {
      return null;
    }
    String raw = new String(b, StandardCharsets.UTF_8);
    Map<String, String> kv = new LinkedHashMap<>();
    for (String line : raw.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        kv.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
      }
    }
    long pid;
    try {
      pid = Long.parseLong(kv.getOrDefault("pid", "-1"));
    } catch (NumberFormatException e) {
      pid = -1;
    }
    // a file without a holder (its writer died while creating it) is judged by its age alone
    return new Holder(kv.get("host"), pid, kv.get("started"), kv.get("token"), mtime, raw);
  }

  private static byte[] content(String token) {
    Instant started = Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime());
    return ("# the run that trains in this directory; removed when it ends\n"
        + "host=" + HOST + "\npid=" + PID + "\nstarted=" + started + "\ntoken=" + token + "\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  private void beat() {
    while (!closed) {
      try {
        Thread.sleep(heartbeatMs);
      } catch (InterruptedException e) {
        return;
      }
      if (closed) {
        return;
      }
      try {
        Holder h = read(file);
        if (h == null || !token.equals(h.token())) {
          if (!lost) {
            lost = true;
            System.err.println("warning: the lock " + file + " of this run was "
                + (h == null ? "removed" : "taken by another run (" + h.describe() + ")")
                + "; two runs may now write to one directory");
          }
          continue;
        }
        HadoopFiles.setModificationTime(file, System.currentTimeMillis());
      } catch (IOException | RuntimeException e) {
        // the file system is unreachable for now: the next beat tries again
      }
    }
  }

  /** The lock file. */
  public String file() {
    return file;
  }

  /** Stops the heartbeat and deletes the lock file, if it is still this holder's. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    heartbeat.interrupt();
    try {
      Holder h = read(file);
      if (h != null && token.equals(h.token())) {
        HadoopFiles.delete(file);
      }
    } catch (IOException | RuntimeException e) {
      // left behind: it is stale once its heartbeat is old, or at once for a run on this host
    } finally {
      HELD.remove(token);
    }
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException | RuntimeException e) {
      String env = System.getenv("HOSTNAME");
      return env != null ? env : "localhost";
    }
  }
}
