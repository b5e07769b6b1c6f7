package io.gradspark.spark.session;

import io.gradspark.nn.Network;
import io.gradspark.nn.Precision;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.GradientSum;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP step session's task, star or tree ({@link ExchangeTree}): it computes its partition's sum
 * of every step it is sent; in a tree it also passes its segment of the parameters to the other
 * tasks, merges its segment of all P sums in the canonical tree and sends that segment up. Vectors
 * travel in chunks of {@link #CHUNK} values, one frame each, and a task passes chunk k on as soon
 * as it has it (the parameters to the others while chunk k+1 comes from the driver; chunk k of
 * its merged segment once every task's chunk k is in), so the phases overlap and a step costs
 * about two vectors per link plus a few chunk latencies, whatever P is.
 *
 * <p>Links: every task connects to the driver; in a tree every two tasks are joined by one link,
 * which the higher partition opens to the lower one's server on its executor's host (where Spark
 * listens), on a port that reaches the others through Spark's barrier {@code allGather}. A task
 * presents the hash of the session's secret, its partition and a nonce, as it does to the
 * driver: the same membership proof, and the same AES-GCM sealing under a key of the link's own
 * ({@link Frames}). A link's reading runs on a thread of its own that never waits for anything but
 * the socket, so a task's writes always drain and the tasks cannot wait on each other in a cycle.
 *
 * <p>Wire format, each message a header frame then its values in chunk frames: down from the
 * driver, [seq, n, epoch, step] and the task's segment of the parameters (n values; the whole
 * vector in a star), or [{@link #STOP}, -1]; between tasks, [seq, n] and the sender's segment of
 * the parameters, then [seq, n or -1, loss sum, count, weight sum, compute nanoseconds, 0] and
 * the receiver's segment of the sender's sum; up to the driver, [seq, n or -1, loss sum, count,
 * weight sum, compute nanoseconds, the task's link bytes of the step] and the task's segment of
 * the merged sum (of its own sum in a star; none for an empty sum). The scalars of a sum go
 * through {@link #writeSum}/{@link #readSum}, the one place that knows a sum's fields.
 */
public final class ExchangeTask {
  /** Values per chunk frame (256 KiB). */
  public static final int CHUNK = 1 << 15;
  /** A down header's seq that ends the session. */
  public static final long STOP = -1;

  private ExchangeTask() {}

  /** What a task learns from Spark: where it is, who the others are, whether it was killed. */
  public interface Peers {
    /** The host this task's executor listens on (its server binds there). */
    String host();

    /** Every task's message, by partition (a barrier: all tasks call it). */
    String[] allGather(String message) throws Exception;

    /** Throws when the task has been killed. */
    void checkKilled();
  }

  /** A session's settings, as a task gets them. */
  public record Setup(String driverHost, int driverPort, byte[] secret, boolean encrypt, boolean star,
      Network net, BatchSchedule schedule, long idleNanos, long connectMillis)
      implements java.io.Serializable {}

  /** Runs partition part's task of the session until the session ends. */
  public static void run(Setup s, SessionWork work, int partitions, Peers peers) throws Exception {
    int t = work.index();
    ExchangeTree tree = new ExchangeTree(partitions, s.star());
    int[] others = tree.peers(t);
    int higher = 0;
    for (int j : others) {
      higher += j > t ? 1 : 0;
    }
    Frames[] links = new Frames[partitions];
    List<Frames> all = new ArrayList<>();
    ReentrantLock lock = new ReentrantLock();
    Condition arrived = lock.newCondition();
    HelloServer server = null;
    try {
      byte[] token = Frames.authToken(s.secret());
      if (higher > 0) {
        server = new HelloServer("gradspark-task-server-" + t, peers.host(), 0,
            (presented, partition, nonce, socket) -> {
              if (!java.security.MessageDigest.isEqual(token, presented) || partition <= t
                  || partition >= partitions) {
                return false;
              }
              lock.lock();
              try {
                if (links[partition] != null) {
                  return false;
                }
                links[partition] = new Frames(socket, s.encrypt()
                    ? Frames.connectionKey(s.secret(), partition, nonce) : null, true);
                arrived.signalAll();
                return true;
              } finally {
                lock.unlock();
              }
            });
      }
      String[] addresses = peers.allGather(
          server == null ? "" : peers.host() + " " + server.port());
      Frames driver = connect(s, t, s.driverHost(), s.driverPort());
      all.add(driver);
      for (int j = 0; j < t && !s.star(); j++) {
        Frames f = connect(s, t, host(addresses[j]), port(addresses[j]));
        all.add(f);
        lock.lock();
        try {
          links[j] = f;
        } finally {
          lock.unlock();
        }
      }
      if (server != null) {
        long deadline = System.nanoTime() + s.connectMillis() * 1_000_000L;
        lock.lock();
        try {
          for (int j = t + 1; j < partitions; j++) {
            while (links[j] == null) {
              if (System.nanoTime() > deadline) {
                throw new IOException("partition " + t + ": the tasks above it did not connect"
                    + " in " + s.connectMillis() / 1000 + " s");
              }
              arrived.await(50, TimeUnit.MILLISECONDS);
              peers.checkKilled();
            }
            all.add(links[j]);
          }
        } finally {
          lock.unlock();
        }
        server.close();
        server = null;
      }
      java.util.concurrent.atomic.AtomicLong bytes = new java.util.concurrent.atomic.AtomicLong();
      all.forEach(f -> f.countInto(bytes));
      steps(s, work, tree, peers, driver, links, bytes);
    } finally {
      if (server != null) {
        server.close();
      }
      lock.lock();
      try {
        for (Frames f : links) {
          if (f != null && !all.contains(f)) {
            all.add(f);
          }
        }
      } finally {
        lock.unlock();
      }
      all.forEach(Frames::close);
    }
  }

  private static String host(String address) {
    return address.substring(0, address.lastIndexOf(' '));
  }

  private static int port(String address) {
    return Integer.parseInt(address.substring(address.lastIndexOf(' ') + 1));
  }

  /** A link to a task's server (or the driver's): connected, hello sent. */
  private static Frames connect(Setup s, int t, String host, int port) throws IOException {
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(host, port), (int) Math.min(s.connectMillis(),
          Integer.MAX_VALUE));
      byte[] nonce = new byte[Frames.NONCE_BYTES];
      new java.security.SecureRandom().nextBytes(nonce);
      DataOutputStream hello = new DataOutputStream(socket.getOutputStream());
      hello.write(Frames.authToken(s.secret()));
      hello.writeInt(t);
      hello.write(nonce);
      hello.flush();
      return new Frames(socket, s.encrypt() ? Frames.connectionKey(s.secret(), t, nonce) : null,
          false);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /**
   * The step loop: until the driver stops the session, its link ends, or no step comes for the
   * setup's idle time. links[j]: the link to task j (tree); bytes: all of this task's links.
   */
  private static void steps(Setup s, SessionWork work, ExchangeTree tree, Peers peers, Frames driver,
      Frames[] links, java.util.concurrent.atomic.AtomicLong bytes) throws Exception {
    int t = work.index();
    int w = s.net().numParams();
    int p = tree.partitions();
    int lo = tree.from(t, w);
    int hi = tree.to(t, w);
    int[] others = tree.peers(t);
    // the leaves this task merges, and its own among them: all P in a tree, its own in a star
    int merging = others.length + 1;
    int self = tree.star() ? 0 : t;
    double[] params = new double[w];
    Inbox down = new Inbox(driver, "down-" + t, k -> new Target(params, lo, hi - lo));
    Inbox[] in = new Inbox[p];
    double[][] segments = new double[p][];
    for (int j : others) {
      segments[j] = new double[hi - lo];
      int jLo = tree.from(j, w);
      int jHi = tree.to(j, w);
      // from task j: its segment of the parameters, then this task's segment of j's sum
      in[j] = new Inbox(links[j], "from-" + j + "-to-" + t, k -> k % 2 == 0
          ? new Target(params, jLo, jHi - jLo) : new Target(segments[j], 0, hi - lo));
    }
    long last = 0;
    while (true) {
      Header h = down.next(peers, s.idleNanos());
      if (h == null || h.seq() == STOP) {
        return; // idle (the driver's next step starts a session), or ended
      }
      DataInputStream rest = h.rest();
      int epoch = rest.readInt();
      int step = rest.readInt();
      try {
        // the parameters: this task's segment on to the others as it comes
        for (int j : others) {
          sendHeader(links[j], h.seq(), hi - lo);
          links[j].send();
        }
        for (int from = lo, k = 1; from < hi; from += CHUNK, k++) {
          down.awaitChunks(k, peers);
          for (int j : others) {
            links[j].sendDoubles(params, from, Math.min(hi, from + CHUNK));
          }
        }
        for (int j : others) {
          expect(in[j].next(peers, Long.MAX_VALUE), h.seq(), j);
          in[j].awaitChunks(chunks(tree.to(j, w) - tree.from(j, w)), peers);
        }
        long start = System.nanoTime();
        GradientSum own = work.compute(params, epoch, step);
        // a step's sums add in the training's precision; an evaluation's (step < 0) in double, as
        // the driver of a star merges them
        Precision precision = step < 0 ? Precision.FLOAT64 : s.net().precision();
        long nanos = System.nanoTime() - start;
        boolean has = own.count() > 0;
        // the sums: segment j of this task's to task j, and this task's segment of all merged
        for (int j : others) {
          DataOutputStream m = sendHeader(links[j], h.seq(), has ? tree.to(j, w) - tree.from(j, w)
              : -1);
          writeSum(m, own.lossSum(), own.count(), own.weightSum(), nanos, 0);
          links[j].send();
        }
        GradientSum[] scalars = new GradientSum[merging];
        Summed[] leaves = new Summed[merging];
        for (int j = 0; j < merging; j++) {
          leaves[j] = j == self ? new Summed(own.lossSum(), own.count(), own.weightSum(), nanos, 0)
              : readSum(expect(in[j].next(peers, Long.MAX_VALUE), h.seq(), j).rest());
          scalars[j] = leaf(leaves[j], new double[0], precision);
        }
        GradientSum merged = ExchangeTree.merge(scalars);
        long now = bytes.get();
        DataOutputStream up = sendHeader(driver, h.seq(), merged.count() > 0 ? hi - lo : -1);
        writeSum(up, merged.lossSum(), merged.count(), merged.weightSum(), nanos, now - last);
        last = now;
        driver.send();
        int rounds = merged.count() > 0 ? chunks(hi - lo) : 0;
        for (int j : others) {
          rounds = Math.max(rounds, has ? chunks(tree.to(j, w) - tree.from(j, w)) : 0);
        }
        for (int k = 1; k <= rounds; k++) {
          int at = (k - 1) * CHUNK;
          for (int j : others) {
            int jLo = tree.from(j, w);
            int jHi = tree.to(j, w);
            if (has && jLo + at < jHi) {
              links[j].sendDoubles(own.grad(), jLo + at, Math.min(jHi, jLo + at + CHUNK));
            }
          }
          if (merged.count() > 0 && lo + at < hi && merging == 1) {
            driver.sendDoubles(own.grad(), lo + at, Math.min(hi, lo + at + CHUNK)); // a star's
          } else if (merged.count() > 0 && lo + at < hi) {
            int n = Math.min(CHUNK, hi - lo - at);
            GradientSum[] chunk = new GradientSum[merging];
            for (int j = 0; j < merging; j++) {
              if (leaves[j].count() > 0 && j != self) {
                in[j].awaitChunks(k, peers);
              }
              chunk[j] = leaf(leaves[j], j == self
                  ? (has ? java.util.Arrays.copyOfRange(own.grad(), lo + at, lo + at + n) : null)
                  : java.util.Arrays.copyOfRange(segments[j], at, at + n), precision);
            }
            GradientSum m = ExchangeTree.merge(chunk);
            driver.sendDoubles(m.grad(), 0, n);
          }
        }
        work.prepareAfter(epoch, step); // while the driver merges and updates
      } catch (IOException e) {
        // a link ended: another task ended idle as the driver posted this step, or its executor
        // was lost (whose own failure fails the session's job); this task ends without one, and
        // the driver computes the step in a new session
        return;
      }
    }
  }

  /** A leaf of a segment's merge: the sum's scalars and values, or an empty sum. */
  private static GradientSum leaf(Summed s, double[] values, Precision precision) {
    return s.count() > 0 ? new GradientSum(s.loss(), s.count(), s.weight(), values, precision)
        : new GradientSum();
  }

  /** h, refused unless it is step seq's (from task j); null: the link ended. */
  private static Header expect(Header h, long seq, int j) throws IOException {
    if (h == null) {
      throw new IOException("the link from partition " + j + " ended");
    }
    if (h.seq() != seq) {
      throw new IOException("a message of step " + h.seq() + " from partition " + j
          + " where step " + seq + " was due");
    }
    return h;
  }

  /**
   * Writes a sum's scalars after its header: loss sum, count, weight sum, the slowest compute
   * below, and the busiest link's bytes of a step below.
   */
  static void writeSum(DataOutputStream m, double loss, long count, double weight, long nanos,
      long busiest) throws IOException {
    m.writeDouble(loss);
    m.writeLong(count);
    m.writeDouble(weight);
    m.writeLong(nanos);
    m.writeLong(busiest);
  }

  /** A sum's scalars as they came with it: loss sum, count, weight sum, nanos, link bytes. */
  public record Summed(double loss, long count, double weight, long nanos, long busiest) {}

  /** Reads a sum's scalars from rest. */
  public static Summed readSum(DataInputStream rest) throws IOException {
    return new Summed(rest.readDouble(), rest.readLong(), rest.readDouble(), rest.readLong(),
        rest.readLong());
  }

  private static DataOutputStream sendHeader(Frames f, long seq, int values) throws IOException {
    DataOutputStream m = f.message();
    m.writeLong(seq);
    m.writeInt(values);
    return m;
  }

  /** Sends values in chunk frames. */
  public static void sendVector(Frames f, double[] values) throws IOException {
    for (int from = 0; from < values.length; from += CHUNK) {
      f.sendDoubles(values, from, Math.min(values.length, from + CHUNK));
    }
  }

  /** Receives a vector of values.length values sent by {@link #sendVector}. */
  public static void receiveVector(Frames f, double[] values) throws IOException {
    for (int from = 0; from < values.length; from += CHUNK) {
      f.receiveDoubles(values, from, Math.min(values.length, from + CHUNK));
    }
  }

  static int chunks(int w) {
    return (w + CHUNK - 1) / CHUNK;
  }

  /** A message's header: its seq and what follows the value count. */
  public record Header(long seq, int values, DataInputStream rest) {}

  /**
   * The next message's header from f, refusing a value count that is neither negative (no
   * values) nor width; what names the message in the refusal.
   */
  public static Header receiveHeader(Frames f, int width, String what) throws IOException {
    DataInputStream m = f.receive();
    long seq = m.readLong();
    int n = m.readInt();
    if (n >= 0 && n != width) {
      throw new IOException("a " + what + " of " + n + " values where " + width + " were due");
    }
    return new Header(seq, n, m);
  }

  /** Where a message's values go: values [offset, offset + width). */
  record Target(double[] values, int offset, int width) {}

  /**
   * One link's incoming messages, read by a thread of its own: the header, then the chunks as they
   * arrive, into where target says for the link's k-th message (k from 0). A message's values
   * are overwritten only by a later message that comes once this task has passed them on.
   */
  static final class Inbox implements Runnable {
    private final Frames frames;
    private final java.util.function.LongFunction<Target> target;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final java.util.ArrayDeque<Header> headers = new java.util.ArrayDeque<>();
    /** Headers read, and taken by {@link #next}. */
    private long read;
    private long taken;
    /** Chunks of the last message read. */
    private int chunks;
    private IOException error;

    Inbox(Frames frames, String name, java.util.function.LongFunction<Target> target) {
      this.frames = frames;
      this.target = target;
      Thread reader = new Thread(this, "gradspark-session-" + name);
      reader.setDaemon(true);
      reader.start();
    }

    @Override
    public void run() {
      try {
        for (long k = 0; ; k++) {
          Target to = target.apply(k);
          Header h = receiveHeader(frames, to.width(), "message");
          lock.lock();
          try {
            headers.add(h);
            read++;
            chunks = 0;
            changed.signalAll();
          } finally {
            lock.unlock();
          }
          if (h.seq() == STOP) {
            return;
          }
          for (int from = 0; from < h.values(); from += CHUNK) {
            frames.receiveDoubles(to.values(), to.offset() + from,
                to.offset() + Math.min(h.values(), from + CHUNK));
            lock.lock();
            try {
              chunks++;
              changed.signalAll();
            } finally {
              lock.unlock();
            }
          }
        }
      } catch (IOException e) {
        lock.lock();
        try {
          error = e;
          changed.signalAll();
        } finally {
          lock.unlock();
        }
      }
    }

    /** The next message's header; null when the link ended or nothing came for idleNanos. */
    Header next(Peers peers, long idleNanos) throws Exception {
      long since = System.nanoTime();
      lock.lock();
      try {
        while (headers.isEmpty()) {
          if (error != null || System.nanoTime() - since >= idleNanos) {
            return null;
          }
          changed.await(50, TimeUnit.MILLISECONDS);
          peers.checkKilled();
        }
        taken++;
        return headers.poll();
      } finally {
        lock.unlock();
      }
    }

    /** Waits until the first k chunks of the message last taken by {@link #next} are in. */
    void awaitChunks(int k, Peers peers) throws Exception {
      lock.lock();
      try {
        while (read == taken && chunks < k) {
          if (error != null) {
            throw error;
          }
          changed.await(50, TimeUnit.MILLISECONDS);
          peers.checkKilled();
        }
      } finally {
        lock.unlock();
      }
    }
  }
}
