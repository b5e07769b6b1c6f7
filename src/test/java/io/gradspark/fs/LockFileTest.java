package io.gradspark.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lock of a run directory without OS locks, on a file: URI (the Hadoop code path). */
class LockFileTest {
  @TempDir
  Path tmp;

  private String lockFile() {
    return HadoopFiles.resolve("file:" + tmp, ".lock");
  }

  @Test
  void oneHolderAtATimeAndTheFileGoesWithIt() throws Exception {
    String file = lockFile();
    LockFile.Attempt first = LockFile.tryAcquire(file);
    assertNotNull(first.lock());
    String text = Files.readString(tmp.resolve(".lock"));
    assertTrue(text.contains("pid=" + ProcessHandle.current().pid()), text);
    LockFile.Attempt second = LockFile.tryAcquire(file);
    assertNull(second.lock(), "a live holder in this JVM keeps it");
    assertTrue(second.holder().describe().contains("pid " + ProcessHandle.current().pid()),
        second.holder().describe());
    first.lock().close();
    assertFalse(Files.exists(tmp.resolve(".lock")), "deleted when the holder ends");
    LockFile.Attempt again = LockFile.tryAcquire(file);
    assertNotNull(again.lock());
    again.lock().close();
  }

  @Test
  void aLockLeftByADeadProcessOnThisHostIsTakenOver() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    String host = java.net.InetAddress.getLocalHost().getHostName();
    Files.writeString(tmp.resolve(".lock"), "host=" + host + "\npid=" + gone.pid()
        + "\nstarted=2026-01-01T00:00:00Z\ntoken=dead\n");
    LockFile.Attempt a = LockFile.tryAcquire(lockFile());
    assertNotNull(a.lock(), "the process that held it is gone: taken over at once");
    assertTrue(Files.readString(tmp.resolve(".lock")).contains("pid="
        + ProcessHandle.current().pid()));
    a.lock().close();
    try (var s = Files.list(tmp)) {
      assertEquals(0, s.count(), "no lock and no renamed stale lock left");
    }
  }

  @Test
  void anotherHostsLockIsStaleOnlyWhenItsHeartbeatIsOld() throws Exception {
    Path lock = tmp.resolve(".lock");
    Files.writeString(lock, "host=elsewhere.example\npid=1\nstarted=x\ntoken=t\n");
    LockFile.Attempt live = LockFile.tryAcquire(lockFile());
    assertNull(live.lock(), "a fresh heartbeat from another host: in use");
    assertTrue(live.holder().describe().startsWith("host elsewhere.example, pid 1"),
        live.holder().describe());
    Files.setLastModifiedTime(lock, java.nio.file.attribute.FileTime.fromMillis(
        System.currentTimeMillis() - LockFile.STALE_MS - 5_000));
    LockFile.Attempt taken = LockFile.tryAcquire(lockFile());
    assertNotNull(taken.lock(), "no heartbeat for over a minute: taken over");
    taken.lock().close();
  }

  @Test
  void theHeartbeatKeepsTheLockFresh() throws Exception {
    long beat = 100; // the interval is injected: the property does not depend on its length
    LockFile.Attempt a = LockFile.tryAcquire(lockFile(), beat);
    Path lock = tmp.resolve(".lock");
    long old = System.currentTimeMillis() - 50_000;
    Files.setLastModifiedTime(lock, java.nio.file.attribute.FileTime.fromMillis(old));
    long deadline = System.currentTimeMillis() + 50 * beat;
    while (Files.getLastModifiedTime(lock).toMillis() < old + 10_000
        && System.currentTimeMillis() < deadline) {
      Thread.sleep(beat / 4);
    }
    assertTrue(Files.getLastModifiedTime(lock).toMillis() > System.currentTimeMillis() - 10_000,
        "the heartbeat refreshed the modification time");
    String own = Files.readString(lock);
    a.lock().close();
    assertFalse(Files.exists(lock));
    // the same holder's text put back: a heartbeat that outlived close would refresh it
    Files.writeString(lock, own);
    Files.setLastModifiedTime(lock, java.nio.file.attribute.FileTime.fromMillis(old));
    Thread.sleep(5 * beat);
    assertEquals(old, Files.getLastModifiedTime(lock).toMillis(),
        "the heartbeat went on after close");
  }
}
