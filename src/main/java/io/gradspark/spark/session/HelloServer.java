package io.gradspark.spark.session;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * A step session's listening socket, the driver's or a task's: it reads every connection's hello
 * (the hash of the session's secret, the partition, a nonce: {@link #HELLO_BYTES}) without
 * blocking, all connections at once on one selector thread, and hands a connection whose hello is
 * whole to the handler on a thread of its own. A stranger costs the session nothing: a silent or
 * slow connection holds no thread and delays no other hello; it is closed after {@link
 * #HELLO_MILLIS}, or as the oldest once {@link #MAX_PENDING} hellos are pending; a wrong hello is
 * closed as soon as the handler refuses it. The listen backlog is Java's, not the partition count.
 */
public final class HelloServer implements AutoCloseable {
  /** The hello: the secret's hash, the partition, the connection's nonce. */
  static final int HELLO_BYTES = 32 + 4 + Frames.NONCE_BYTES;
  /** How long a connection may take to send its hello. */
  public static final long HELLO_MILLIS = 10_000;
  /** Hellos pending at most (beyond, the oldest pending connection is closed). */
  static final int MAX_PENDING = 1024;
  private static final int BACKLOG = 1024;

  /** A connection with its hello read, for the session to take or refuse. */
  interface Handler {
    /**
     * Takes the connection (its socket now blocking, nothing past the hello read); false to
     * refuse it (the server closes it).
     */
    boolean take(byte[] token, int partition, byte[] nonce, Socket socket) throws IOException;
  }

  private final ServerSocketChannel server;
  private final Selector selector;
  private final Handler handler;
  private final String name;
  private final Thread thread;
  private volatile boolean closed;

  /** Listens on host:port (0: any free port); throws IOException when it cannot. */
  public HelloServer(String name, String host, int port, Handler handler) throws IOException {
    this.name = name;
    this.handler = handler;
    this.server = ServerSocketChannel.open();
    try {
      server.socket().setReuseAddress(true);
      server.bind(new InetSocketAddress(InetAddress.getByName(host), port), BACKLOG);
      server.configureBlocking(false);
      selector = Selector.open();
      server.register(selector, SelectionKey.OP_ACCEPT);
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
    thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  public int port() {
    return server.socket().getLocalPort();
  }

  /** One pending connection's hello so far. */
  private record Pending(SocketChannel channel, ByteBuffer hello, long since) {}

  private void run() {
    ArrayDeque<SelectionKey> pending = new ArrayDeque<>();
    java.util.List<Pending> ready = new java.util.ArrayList<>();
    try {
      while (!closed) {
        selector.select(1000);
        Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
        while (keys.hasNext()) {
          SelectionKey key = keys.next();
          keys.remove();
          if (!key.isValid()) {
            continue;
          }
          if (key.isAcceptable()) {
            accept(pending);
          } else if (key.isReadable()) {
            read(key, pending, ready);
          }
        }
        if (!ready.isEmpty()) {
          selector.selectNow(); // deregisters the cancelled channels, so that they may block
          for (Pending p : ready) {
            handOff(p);
          }
          ready.clear();
        }
        long now = System.nanoTime();
        while (!pending.isEmpty() && now - ((Pending) pending.peekFirst().attachment()).since()
            > HELLO_MILLIS * 1_000_000L) {
          drop(pending.pollFirst());
        }
      }
    } catch (IOException | RuntimeException e) {
      // the selector failed or closed: the server ends, its sessions fail and are replaced
    } finally {
      for (SelectionKey k : selector.keys()) {
        closeQuietly(k.channel());
      }
      closeQuietly(selector);
    }
  }

  private void accept(ArrayDeque<SelectionKey> pending) throws IOException {
    SocketChannel c;
    while ((c = server.accept()) != null) {
      try {
        c.configureBlocking(false);
        c.socket().setTcpNoDelay(true);
        pending.addLast(c.register(selector, SelectionKey.OP_READ,
            new Pending(c, ByteBuffer.allocate(HELLO_BYTES), System.nanoTime())));
      } catch (IOException e) {
        closeQuietly(c);
      }
      while (pending.size() > MAX_PENDING) {
        drop(pending.pollFirst());
      }
    }
  }

  private void read(SelectionKey key, ArrayDeque<SelectionKey> pending,
      java.util.List<Pending> ready) {
    Pending p = (Pending) key.attachment();
    try {
      if (p.channel().read(p.hello()) < 0) {
        pending.remove(key);
        drop(key);
        return;
      }
      if (p.hello().hasRemaining()) {
        return;
      }
      pending.remove(key);
      key.cancel();
      ready.add(p);
    } catch (IOException e) {
      pending.remove(key);
      drop(key);
    }
  }

  private void handOff(Pending p) {
    try {
      p.channel().configureBlocking(true);
    } catch (IOException | RuntimeException e) {
      closeQuietly(p.channel());
      return;
    }
    Thread t = new Thread(() -> hand(p), name + "-hello");
    t.setDaemon(true);
    t.start();
  }

  private void hand(Pending p) {
    ByteBuffer b = p.hello().flip();
    byte[] token = new byte[32];
    b.get(token);
    int partition = b.getInt();
    byte[] nonce = new byte[Frames.NONCE_BYTES];
    b.get(nonce);
    boolean taken = false;
    try {
      taken = !closed && handler.take(token, partition, nonce, p.channel().socket());
    } catch (IOException | RuntimeException e) {
      taken = false;
    }
    if (!taken) {
      closeQuietly(p.channel());
    }
  }

  private static void drop(SelectionKey key) {
    if (key != null) {
      key.cancel();
      closeQuietly(key.channel());
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // nothing to keep
    }
  }

  /**
   * Stops listening and closes every connection whose hello is pending; the port is free when this
   * returns. (A channel registered with a selector keeps its socket until the selector lets it go,
   * so this waits for the selector thread to end: a fixed port closed and at once bound again, as
   * a run's next session does, must not find itself still held.)
   */
  @Override
  public void close() {
    closed = true;
    closeQuietly(server);
    selector.wakeup();
    if (Thread.currentThread() != thread) {
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
