package io.gradspark.spark.session;

import io.gradspark.nn.Network;
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
 * of every step it is sent, and in a tree also forwards the parameters to the tasks below it and
 * merges their sums into its node's. Vectors travel in chunks of {@link #CHUNK} values, one frame
 * each, and a task forwards chunk k as soon as it has it (down: to its children while chunk k+1
 * arrives; up: chunk k of its node's sum once both halves' chunk k are in), so a step costs about
 * two vectors per link plus a few chunk latencies per level, not a vector per level.
 *
 * <p>Links: a task that merges a node listens on its executor's host (where Spark listens) on a
 * port of its own, which reaches the others through Spark's barrier {@code allGather}; each task
 * then connects to the task above it (the root's merger to the driver) and presents the hash of
 * the session's secret, its partition and a nonce, as a task of a star presents them to the
 * driver: the same membership proof, and the same AES-GCM sealing under a key of the link's own
 * ({@link Frames}). A link's reading runs on a thread of its own that never waits for anything but
 * the socket, so a task's writes always drain and the tasks cannot wait on each other in a cycle.
 *
 * <p>Wire format, each message a header frame then its values in chunk frames: down, [seq, W,
 * epoch, step] and the parameters (a negative step asks for an evaluation, answered as a sum: {@link
 * SessionWork#compute}), or [{@link #STOP}, -1]; up, [seq, W or -1, loss sum, count,
 * slowest compute nanoseconds] and the gradient sum (none for an empty sum). The scalars of a sum
 * go through {@link #writeSum}/{@link #readSum} and are merged in {@link #mergedScalars}, the one
 * place that knows a sum's fields.
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

  /** Runs partition work's task of the session until the session ends. */
  public static void run(Setup s, SessionWork work, int partitions, Peers peers) throws Exception {
    int t = work.index();
    ExchangeTree tree = new ExchangeTree(partitions, s.star());
    int[] incoming = tree.incoming(t);
    List<Frames> all = new ArrayList<>();
    Frames[] children = new Frames[incoming.length];
    ReentrantLock lock = new ReentrantLock();
    Condition arrived = lock.newCondition();
    HelloServer server = null;
    try {
      byte[] token = Frames.authToken(s.secret());
      if (incoming.length > 0) {
        server = new HelloServer("gradspark-task-server-" + t, peers.host(), 0,
            (presented, partition, nonce, socket) -> {
              if (!java.security.MessageDigest.isEqual(token, presented)) {
                return false;
              }
              lock.lock();
              try {
                for (int i = 0; i < incoming.length; i++) {
                  if (ExchangeTree.sender(incoming[i]) == partition && children[i] == null) {
                    children[i] = new Frames(socket, s.encrypt()
                        ? Frames.connectionKey(s.secret(), partition, nonce) : null, true);
                    arrived.signalAll();
                    return true;
                  }
                }
                return false;
              } finally {
                lock.unlock();
              }
            });
      }
      String[] addresses = peers.allGather(
          server == null ? "" : peers.host() + " " + server.port());
      Frames primary = connect(s, t, tree.toDriver(t) ? s.driverHost()
          : host(addresses[tree.receiver(tree.primary(t))]), tree.toDriver(t) ? s.driverPort()
          : port(addresses[tree.receiver(tree.primary(t))]));
      all.add(primary);
      Frames leaf = null;
      if (tree.leafLink(t)) {
        leaf = connect(s, t, host(addresses[tree.receiver(t)]),
            port(addresses[tree.receiver(t)]));
        all.add(leaf);
      }
      if (server != null) {
        long deadline = System.nanoTime() + s.connectMillis() * 1_000_000L;
        lock.lock();
        try {
          while (java.util.Arrays.asList(children).contains(null)) {
            if (System.nanoTime() > deadline) {
              throw new IOException("partition " + t + ": the tasks below it did not connect in "
                  + s.connectMillis() / 1000 + " s");
            }
            arrived.await(50, TimeUnit.MILLISECONDS);
            peers.checkKilled();
          }
        } finally {
          lock.unlock();
        }
        server.close();
        server = null;
        all.addAll(java.util.Arrays.asList(children));
      }
      Links links = new Links();
      all.forEach(links::count);
      steps(s, work, tree, peers, primary, leaf, incoming, children, links);
    } finally {
      if (server != null) {
        server.close();
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

  /** A link to the task (or driver) above: connected, hello sent. */
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

  /** The step loop: until the driver stops the session, the link above ends, or idle (root). */
  private static void steps(Setup s, SessionWork work, ExchangeTree tree, Peers peers,
      Frames primary, Frames leafLink, int[] incoming, Frames[] children, Links links)
      throws Exception {
    int t = work.index();
    int w = s.net().numParams();
    boolean root = tree.toDriver(t);
    Inbox down = new Inbox(primary, w, "down-" + t);
    Inbox[] up = new Inbox[incoming.length];
    List<Frames> paramsDown = new ArrayList<>();
    for (int i = 0; i < incoming.length; i++) {
      up[i] = new Inbox(children[i], w, "up-" + t + "-" + i);
      if (tree.carriesParameters(incoming[i])) {
        paramsDown.add(children[i]);
      }
    }
    double[] params = down.values;
    while (true) {
      Header h = down.next(peers, root ? s.idleNanos() : Long.MAX_VALUE);
      if (h == null || h.seq() == STOP) {
        for (Frames c : paramsDown) {
          sendHeader(c, STOP, -1);
          c.send();
        }
        return; // idle (the root: the driver's next step starts a session), or ended
      }
      DataInputStream rest = h.rest();
      int epoch = rest.readInt();
      int step = rest.readInt();
      for (Frames c : paramsDown) {
        DataOutputStream m = sendHeader(c, h.seq(), w);
        m.writeInt(epoch);
        m.writeInt(step);
        c.send();
      }
      for (int from = 0, k = 1; from < w; from += CHUNK, k++) {
        down.awaitChunks(k, peers);
        for (Frames c : paramsDown) {
          c.sendDoubles(params, from, Math.min(w, from + CHUNK));
        }
      }
      down.awaitChunks(chunks(w), peers);
      long start = System.nanoTime();
      GradientSum own = work.compute(params, epoch, step);
      long nanos = System.nanoTime() - start;
      if (leafLink != null) {
        sendSum(leafLink, h.seq(), own, nanos, 0, w);
      }
      if (incoming.length == 0) {
        sendSum(primary, h.seq(), own, nanos, links.busiest(), w);
      } else {
        mergeUp(primary, h.seq(), w, incoming.length == 1 ? own : null, nanos, up, peers,
            links);
      }
    }
  }

  /**
   * Sends this task's node's sum up: left.merge(right) as {@link GradientSum#merge} computes it,
   * chunk by chunk as the halves' chunks arrive. ownLeft: this task's own sum when it is the left
   * half (then up holds only the right half's link), else null (up: left, right).
   */
  private static void mergeUp(Frames primary, long seq, int w, GradientSum ownLeft,
      long ownNanos, Inbox[] up, Peers peers, Links links) throws Exception {
    Summed right = up[up.length - 1].sum(seq, peers);
    Summed left = ownLeft != null ? new Summed(ownLeft.lossSum(), ownLeft.count(),
        ownLeft.weightSum(), ownNanos, 0, ownLeft.grad(), null) : up[0].sum(seq, peers);
    double[] scalars = mergedScalars(left, right);
    boolean hasLeft = left.count() > 0;
    boolean hasRight = right.count() > 0;
    long nanos = Math.max(ownNanos, Math.max(left.nanos(), right.nanos()));
    DataOutputStream m = sendHeader(primary, seq, hasLeft || hasRight ? w : -1);
    long busiest = Math.max(links.busiest(), Math.max(left.busiest(), right.busiest()));
    writeSum(m, scalars[0], (long) scalars[1], scalars[2], nanos, busiest);
    primary.send();
    if (!hasLeft && !hasRight) {
      return;
    }
    for (int from = 0, k = 1; from < w; from += CHUNK, k++) {
      int to = Math.min(w, from + CHUNK);
      if (hasLeft && left.inbox() != null) {
        left.inbox().awaitChunks(k, peers);
      }
      if (hasRight) {
        right.inbox().awaitChunks(k, peers);
      }
      double[] out;
      if (hasLeft && hasRight) {
        out = left.values();
        double[] r = right.values();
        for (int i = from; i < to; i++) {
          out[i] += r[i];
        }
      } else {
        out = hasLeft ? left.values() : right.values();
      }
      primary.sendDoubles(out, from, to);
    }
  }

  /**
   * The loss sum, count and weight sum of left.merge(right), as {@link GradientSum#merge} makes
   * them (an empty right half leaves the left as it is).
   */
  static double[] mergedScalars(Summed left, Summed right) {
    if (right.count() == 0) {
      return new double[] {left.loss(), left.count(), left.weight()};
    }
    return new double[] {left.loss() + right.loss(), left.count() + right.count(),
        left.weight() + right.weight()};
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

  /** A sum as it came up a link (or this task's own): scalars, and its values where they are. */
  public record Summed(double loss, long count, double weight, long nanos, long busiest,
      double[] values, Inbox inbox) {}

  /** Reads a sum's scalars from rest; values and inbox as given. */
  public static Summed readSum(DataInputStream rest, double[] values, Inbox inbox) throws IOException {
    return new Summed(rest.readDouble(), rest.readLong(), rest.readDouble(), rest.readLong(),
        rest.readLong(), values, inbox);
  }

  /** A task's links' byte counters, for the busiest link's bytes of a step. */
  static final class Links {
    private final List<java.util.concurrent.atomic.AtomicLong> counters = new ArrayList<>();
    private long[] last = new long[0];

    /** Counts f's bytes. */
    void count(Frames f) {
      java.util.concurrent.atomic.AtomicLong c = new java.util.concurrent.atomic.AtomicLong();
      f.countInto(c);
      counters.add(c);
      last = java.util.Arrays.copyOf(last, counters.size());
    }

    /** The most bytes one link moved since the last call (one step's, once steps repeat). */
    long busiest() {
      long max = 0;
      for (int i = 0; i < counters.size(); i++) {
        long now = counters.get(i).get();
        max = Math.max(max, now - last[i]);
        last[i] = now;
      }
      return max;
    }
  }

  private static DataOutputStream sendHeader(Frames f, long seq, int values) throws IOException {
    DataOutputStream m = f.message();
    m.writeLong(seq);
    m.writeInt(values);
    return m;
  }

  /** Sends sum up: its header, then its gradient in chunks. */
  static void sendSum(Frames f, long seq, GradientSum sum, long nanos, long busiest, int w)
      throws IOException {
    boolean has = sum.count() > 0;
    DataOutputStream m = sendHeader(f, seq, has ? w : -1);
    writeSum(m, sum.lossSum(), sum.count(), sum.weightSum(), nanos, busiest);
    f.send();
    if (has) {
      sendVector(f, sum.grad());
    }
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

  /**
   * One link's incoming messages, read by a thread of its own into one reused array: the header,
   * then the chunks as they arrive. The next message can only come once this task has passed
   * the last one on, so the array is never overwritten while in use.
   */
  static final class Inbox implements Runnable {
    private final Frames frames;
    final double[] values;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final java.util.ArrayDeque<Header> headers = new java.util.ArrayDeque<>();
    private int chunks;
    private IOException error;

    Inbox(Frames frames, int w, String name) {
      this.frames = frames;
      this.values = new double[w];
      Thread reader = new Thread(this, "gradspark-session-" + name);
      reader.setDaemon(true);
      reader.start();
    }

    @Override
    public void run() {
      try {
        while (true) {
          Header h = receiveHeader(frames, values.length, "message");
          long seq = h.seq();
          int n = h.values();
          lock.lock();
          try {
            headers.add(h);
            chunks = 0;
            changed.signalAll();
          } finally {
            lock.unlock();
          }
          if (seq == STOP) {
            return;
          }
          for (int from = 0; n > 0 && from < n; from += CHUNK) {
            frames.receiveDoubles(values, from, Math.min(n, from + CHUNK));
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

    /**
     * The next message's header; null when the link ended between messages or nothing came
     * for idleNanos.
     */
    Header next(Peers peers, long idleNanos) throws Exception {
      long since = System.nanoTime();
      lock.lock();
      try {
        while (headers.isEmpty()) {
          if (error != null) {
            return null;
          }
          if (System.nanoTime() - since >= idleNanos) {
            return null;
          }
          changed.await(50, TimeUnit.MILLISECONDS);
          peers.checkKilled();
        }
        return headers.poll();
      } finally {
        lock.unlock();
      }
    }

    /** Waits until the current message's first k chunks are in. */
    void awaitChunks(int k, Peers peers) throws Exception {
      lock.lock();
      try {
        while (chunks < k) {
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

    /** The sum of step seq coming up this link (its scalars; the values as they arrive). */
    Summed sum(long seq, Peers peers) throws Exception {
      lock.lock();
      try {
        while (headers.isEmpty()) {
          if (error != null) {
            throw error;
          }
          changed.await(50, TimeUnit.MILLISECONDS);
          peers.checkKilled();
        }
        Header h = headers.poll();
        if (h.seq() != seq) {
          throw new IOException("a sum of step " + h.seq() + " where step " + seq + " was due");
        }
        return readSum(h.rest(), values, this);
      } finally {
        lock.unlock();
      }
    }
  }
}
