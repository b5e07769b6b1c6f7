package io.gradspark.spark.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/**
 * A closed HelloServer has given its port back: a run's fixed session port, closed by one session
 * and bound at once by the next, must not be found still held. (Closing a channel registered with
 * a selector keeps its socket until the selector lets go of it; close waits for that.)
 */
class HelloServerTest {
  @Test
  void aClosedServerHasGivenItsPortBack() throws Exception {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, loopback)) {
      port = probe.getLocalPort();
    }
    for (int i = 0; i < 200; i++) {
      HelloServer server = new HelloServer("test-hello", "127.0.0.1", port, (t, p, n, s) -> false);
      if (i % 2 == 0) {
        try (Socket stranger = new Socket(loopback, port)) {
          stranger.getOutputStream().write(1); // a hello begun, pending on the selector
        }
      }
      server.close();
      try (ServerSocket again = new ServerSocket(port, 1, loopback)) {
        assertEquals(port, again.getLocalPort(), "round " + i);
      }
    }
  }
}
