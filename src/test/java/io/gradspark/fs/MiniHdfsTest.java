package io.gradspark.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test HDFS itself: loopback only, storage under target/, small blocks, copies both ways. */
class MiniHdfsTest {
  @TempDir
  Path tmp;

  @Test
  void listensOnLoopbackOnlyAndKeepsItsFilesUnderTarget() throws IOException {
    MiniHdfs hdfs = MiniHdfs.get();
    assertSame(hdfs, MiniHdfs.get(), "one cluster per JVM");
    assertTrue(hdfs.uri().matches("hdfs://127\\.0\\.0\\.1:\\d+"), hdfs.uri());
    assumeTrue(Files.isReadable(Path.of("/proc/net/tcp")), "Linux /proc needed");
    List<String> listening = listeningSockets();
    System.out.println("listening in this JVM: " + listening);
    int port = Integer.parseInt(hdfs.uri().substring(hdfs.uri().lastIndexOf(':') + 1));
    assertTrue(listening.contains("127.0.0.1:" + port), "the name node: " + listening);
    // name node RPC and HTTP, data node transfer, IPC, HTTP and its internal web server
    assertTrue(listening.size() >= 6, listening.toString());
    assertEquals(List.of(), listening.stream().filter(s -> !s.startsWith("127.")).toList(),
        "sockets listening beyond loopback");
    assertFalse(Files.exists(Path.of("build")), "Hadoop's default test directory, outside target/");
  }

  @Test
  void copiesInSmallBlocksAndBack() throws IOException {
    MiniHdfs hdfs = MiniHdfs.get();
    byte[] data = new byte[(int) (2.5 * MiniHdfs.BLOCK_SIZE)];
    new Random(3).nextBytes(data);
    Path local = tmp.resolve("x.bin");
    Files.write(local, data);
    String uri = hdfs.copyIn(local, "/mini-hdfs-test/x.bin");
    assertEquals(hdfs.uri() + "/mini-hdfs-test/x.bin", uri);
    assertEquals(3, hdfs.blocks(uri), "2.5 MiB in 1 MiB blocks");
    assertArrayEquals(data, hdfs.read("/mini-hdfs-test/x.bin"));
    hdfs.copyIn(local, uri + ".small", 64 * 1024);
    assertEquals(40, hdfs.blocks(uri + ".small"), "2.5 MiB in 64 KiB blocks");
    Path back = tmp.resolve("back.bin");
    hdfs.copyOut(uri + ".small", back);
    assertArrayEquals(data, Files.readAllBytes(back));
    assertEquals(1, hdfs.fileSystem().getFileStatus(
        new org.apache.hadoop.fs.Path(uri)).getReplication());
    // HadoopPaths makes its own client with the configuration in use (not Hadoop's cached one,
    // the cluster's): the same file there
    org.apache.hadoop.fs.FileSystem own = HadoopPaths.fileSystem(uri, "data");
    assertTrue(own != hdfs.fileSystem());
    assertEquals(data.length, own.getFileStatus(new org.apache.hadoop.fs.Path(uri)).getLen());
    hdfs.delete("/mini-hdfs-test");
    assertFalse(HadoopFiles.exists(uri));
  }

  @Test
  void aClientWithHadoopsDefaultReplicationWritesAndReads() throws IOException {
    // what a launcher subprocess does: its own client, three replicas asked of one data node
    MiniHdfs hdfs = MiniHdfs.get();
    org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
    conf.setLong("dfs.blocksize", MiniHdfs.BLOCK_SIZE);
    byte[] data = new byte[(int) (3.5 * MiniHdfs.BLOCK_SIZE)];
    new Random(4).nextBytes(data);
    String uri = hdfs.path("/mini-hdfs-test/other-client.bin");
    long t0 = System.nanoTime();
    try (org.apache.hadoop.fs.FileSystem other =
        org.apache.hadoop.fs.FileSystem.newInstance(java.net.URI.create(hdfs.uri()), conf)) {
      assertTrue(other != hdfs.fileSystem());
      try (var out = other.create(new org.apache.hadoop.fs.Path(uri))) {
        out.write(data);
      }
      assertEquals(3, other.getFileStatus(new org.apache.hadoop.fs.Path(uri)).getReplication());
    }
    System.out.printf("3.5 MiB written by another client (replication 3, 1 data node) in %.2f s%n",
        (System.nanoTime() - t0) / 1e9);
    assertEquals(4, hdfs.blocks(uri));
    assertArrayEquals(data, hdfs.read(uri));
    hdfs.delete(uri);
  }

  /** "address:port" of every TCP socket this JVM listens on, from /proc (IPv4 and IPv6). */
  private static List<String> listeningSockets() throws IOException {
    Set<String> inodes = new HashSet<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : fds.toList()) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")) {
            inodes.add(target.substring(8, target.length() - 1));
          }
        } catch (IOException ignored) {
          // closed meanwhile
        }
      }
    }
    List<String> out = new ArrayList<>();
    for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
      Path t = Path.of(table);
      if (!Files.isReadable(t)) {
        continue;
      }
      List<String> lines = Files.readAllLines(t);
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.trim().split("\\s+");
        if (!f[3].equals("0A") || !inodes.contains(f[9])) {
          continue; // not LISTEN, or not ours
        }
        String[] addr = f[1].split(":");
        out.add(address(addr[0]) + ":" + Integer.parseInt(addr[1], 16));
      }
    }
    return out;
  }

  /** The text of a /proc/net address: 4-byte words in host (little-endian) order. */
  private static String address(String hex) {
    if (hex.length() == 32 && hex.startsWith("0000000000000000FFFF0000")) {
      hex = hex.substring(24); // an IPv4-mapped IPv6 address
    }
    if (hex.length() == 8) {
      StringBuilder b = new StringBuilder();
      for (int i = 6; i >= 0; i -= 2) {
        b.append(Integer.parseInt(hex.substring(i, i + 2), 16)).append(i > 0 ? "." : "");
      }
      return b.toString();
    }
    return hex.equals("00000000000000000000000001000000") ? "::1" : "[" + hex + "]";
  }
}
