package io.gradspark.spark.session;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PushbackInputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * One step-session connection's messages ({@link StepSession}, over TCP): each a length-prefixed
 * frame, sealed with AES-GCM when the session encrypts (as Spark's own traffic is with {@code
 * spark.network.crypto.enabled}). The key is the connection's own, derived (HMAC-SHA256) from the
 * session's 256-bit secret, the task's partition and a random nonce the task sends when it
 * connects, so a task that connects again (a rerun stage) never reuses a key; each direction
 * counts its frames into the GCM nonce, so no nonce repeats under a key, and a frame that was
 * altered, replayed or reordered fails its tag. The secret reaches the task inside the task
 * itself (over Spark's channel, encrypted there too); the connection's first bytes carry only a
 * hash of it, which proves the task holds it and gives nothing of the key away.
 */
public final class Frames {
  public static final int SECRET_BYTES = 32;
  public static final int NONCE_BYTES = 16;
  private static final int TAG_BITS = 128;
  /** The largest frame accepted: vectors travel in chunks far smaller ({@link ExchangeTask}). */
  private static final int MAX_FRAME = 1 << 24;

  private final Socket socket;
  private final PushbackInputStream raw;
  private final DataInputStream in;
  private final DataOutputStream out;
  private final SecretKeySpec key;
  private final byte sendDirection;
  private long sent;
  private long received;
  private final Buffer message = new Buffer();
  /** Bytes this connection sent and received (length prefixes and tags included), if counted. */
  private volatile java.util.concurrent.atomic.AtomicLong[] traffic = {};
  private final DataOutputStream messageData = new DataOutputStream(message);

  /**
   * Frames over socket: key null for plain frames; driver: whether this is the driver's end (the
   * two directions' nonces differ in their first byte).
   */
  public Frames(Socket socket, byte[] key, boolean driver) throws IOException {
    this(socket, input(socket), key, driver);
  }

  /** A connection's buffered input, one byte of which {@link #await} can push back. */
  static PushbackInputStream input(Socket socket) throws IOException {
    return new PushbackInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16), 1);
  }

  /** As above, over an input stream already opened on the socket (the hello was read from it). */
  public Frames(Socket socket, PushbackInputStream raw, byte[] key, boolean driver) throws IOException {
    this.socket = socket;
    this.raw = raw;
    this.in = new DataInputStream(raw);
    this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
    this.key = key == null ? null : new SecretKeySpec(key, "AES");
    this.sendDirection = (byte) (driver ? 0 : 1);
  }

  /** The hash of the session's secret that a task presents when it connects. */
  public static byte[] authToken(byte[] secret) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update("gradspark step session: auth".getBytes(StandardCharsets.US_ASCII));
      return d.digest(secret);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** The AES-256 key of one connection: HMAC-SHA256(secret, partition || the task's nonce). */
  public static byte[] connectionKey(byte[] secret, int partition, byte[] nonce) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      mac.update("gradspark step session: key".getBytes(StandardCharsets.US_ASCII));
      mac.update(ByteBuffer.allocate(4).putInt(partition).array());
      return mac.doFinal(nonce);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    }
  }

  /** Starts the next outgoing message: write it to the stream returned, then {@link #send}. */
  public DataOutputStream message() {
    message.reset();
    return messageData;
  }

  /** Sends the message written since {@link #message} as one frame. */
  public void send() throws IOException {
    messageData.flush();
    sendFrame(message.array(), message.size());
  }

  /** Sends body[0, length) as one frame (sealed when the connection seals). */
  private void sendFrame(byte[] body, int length) throws IOException {
    if (key != null) {
      body = crypt(Cipher.ENCRYPT_MODE, sendDirection, sent++, body, length);
      length = body.length;
    }
    out.writeInt(length);
    out.write(body, 0, length);
    out.flush();
    count(4 + length);
  }

  /** Counts this connection's bytes, both ways, into each of counters from now on. */
  void countInto(java.util.concurrent.atomic.AtomicLong... counters) {
    traffic = counters.clone();
  }

  private void count(long bytes) {
    for (java.util.concurrent.atomic.AtomicLong t : traffic) {
      t.addAndGet(bytes);
    }
  }

  /**
   * Sends values[from, to) as one frame of little-endian doubles, or of floats when every value
   * is a float number (a float32 training's: lossless, half the bytes; see DoubleArrays), copied
   * once into the frame's bytes (a vector's chunks are most of a step's bytes).
   */
  public void sendDoubles(double[] values, int from, int to) throws IOException {
    boolean floats = io.gradspark.DoubleArrays.allFloats(values, from, to);
    byte[] bytes = new byte[(to - from) * (floats ? Float.BYTES : Double.BYTES)];
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    if (floats) {
      for (int i = from; i < to; i++) {
        buf.putFloat((float) values[i]);
      }
    } else {
      buf.asDoubleBuffer().put(values, from, to - from);
    }
    sendFrame(bytes, bytes.length);
  }

  /** Receives one frame of {@link #sendDoubles} into values[from, to) (its size tells floats). */
  public void receiveDoubles(double[] values, int from, int to) throws IOException {
    byte[] body = receiveFrame();
    ByteBuffer buf = ByteBuffer.wrap(body).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    if (body.length == (to - from) * Float.BYTES && to > from) {
      for (int i = from; i < to; i++) {
        values[i] = buf.getFloat();
      }
    } else if (body.length == (to - from) * Double.BYTES) {
      buf.asDoubleBuffer().get(values, from, to - from);
    } else {
      throw new IOException("a chunk of " + body.length + " bytes where " + (to - from)
          + " values were due");
    }
  }

  /**
   * Waits up to millis for the next frame to begin (nothing is consumed when none does); false
   * on a timeout. Throws EOFException when the other end has closed.
   */
  boolean await(int millis) throws IOException {
    socket.setSoTimeout(millis);
    int first;
    try {
      first = raw.read();
    } catch (SocketTimeoutException e) {
      return false;
    } finally {
      socket.setSoTimeout(0);
    }
    if (first < 0) {
      throw new java.io.EOFException("the connection was closed");
    }
    raw.unread(first);
    return true;
  }

  /** The next frame's message (blocks until it has arrived whole). */
  public DataInputStream receive() throws IOException {
    byte[] body = receiveFrame();
    return new DataInputStream(new ByteArrayInputStream(body));
  }

  /** The next frame's bytes, opened (blocks until it has arrived whole). */
  private byte[] receiveFrame() throws IOException {
    int length = in.readInt();
    if (length < 0 || length > MAX_FRAME) {
      throw new IOException("a frame of " + length + " bytes: not a step session's stream");
    }
    byte[] body = new byte[length];
    in.readFully(body);
    count(4 + length);
    if (key != null) {
      body = crypt(Cipher.DECRYPT_MODE, (byte) (1 - sendDirection), received++, body, length);
    }
    return body;
  }

  /** AES-GCM of bytes[0, length) with the nonce (direction, counter). */
  private byte[] crypt(int mode, byte direction, long counter, byte[] bytes, int length)
      throws IOException {
    byte[] nonce = ByteBuffer.allocate(12).put(direction).put(new byte[3]).putLong(counter)
        .array();
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
      return c.doFinal(bytes, 0, length);
    } catch (javax.crypto.AEADBadTagException e) {
      throw new IOException("a step session's frame failed its authentication tag "
          + "(altered, replayed or not from this session)", e);
    } catch (GeneralSecurityException e) {
      throw new IOException("AES-GCM failed: " + e, e);
    }
  }

  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // nothing to keep
    }
  }

  /** A ByteArrayOutputStream whose array is read in place. */
  private static final class Buffer extends ByteArrayOutputStream {
    Buffer() {
      super(1 << 16);
    }

    byte[] array() {
      return buf;
    }
  }
}
