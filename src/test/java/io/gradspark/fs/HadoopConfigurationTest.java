package io.gradspark.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;

/**
 * Issue 27, hidden state: the first Hadoop configuration no longer wins for the whole JVM. Each
 * owner (the Spark layer passes its application's SparkEnv) gets its own configuration in use;
 * the same owner's is not rebuilt. The file systems are made with the configuration in use (not
 * Hadoop's cached client, made with whichever configuration asked first) and closed when the
 * application ends or the next one's configuration replaces it.
 */
class HadoopConfigurationTest {
  private static Configuration with(String value) {
    Configuration c = new Configuration(false);
    c.set("gradspark.test.owner", value);
    c.set("fs.recording.impl", RecordingFileSystem.class.getName());
    return c;
  }

  private static String owner(FileSystem fs) {
    return fs.getConf().get("gradspark.test.owner");
  }

  @Test
  void aLaterApplicationUsesItsOwnConfiguration() {
    Object first = new Object();
    Object second = new Object();
    try {
      HadoopPaths.configureFor(first, () -> with("first"));
      assertEquals("first", HadoopPaths.configuration().get("gradspark.test.owner"));
      HadoopPaths.configureFor(first, () -> {
        throw new AssertionError("the same owner's configuration is not built again");
      });
      HadoopPaths.configureFor(second, () -> with("second"));
      assertEquals("second", HadoopPaths.configuration().get("gradspark.test.owner"),
          "a second application in the same JVM");
      // what configure adds to any configuration (a name node that is not there fails fast)
      assertEquals("0", HadoopPaths.configuration().get("ipc.client.connect.max.retries"));
      HadoopPaths.configureFor(first, () -> with("first again"));
      assertEquals("first again", HadoopPaths.configuration().get("gradspark.test.owner"));
    } finally {
      // leave the classpath's defaults for later tests; a SparkEnv configures its own again
      HadoopPaths.configureFor(new Object(), Configuration::new);
    }
  }

  @Test
  void eachApplicationsFileSystemsHaveItsSettingsAndAreClosedAfterIt() {
    Object first = new Object();
    Object second = new Object();
    String path = "recording:/tmp/x";
    try {
      HadoopPaths.configureFor(first, () -> with("first"));
      RecordingFileSystem read1 = (RecordingFileSystem) HadoopPaths.fileSystem(path, "data");
      RecordingFileSystem write1 = (RecordingFileSystem) HadoopFiles.fileSystem(path, "--out");
      assertEquals("first", owner(read1));
      assertEquals("first", owner(write1));
      assertSame(read1, HadoopPaths.fileSystem(path, "data"), "one instance a configuration");
      assertFalse(read1.closed() || write1.closed());

      // the next application: its own settings, and the first one's file systems closed
      HadoopPaths.configureFor(second, () -> with("second"));
      RecordingFileSystem read2 = (RecordingFileSystem) HadoopPaths.fileSystem(path, "data");
      RecordingFileSystem write2 = (RecordingFileSystem) HadoopFiles.fileSystem(path, "--out");
      assertNotSame(read1, read2);
      assertEquals("second", owner(read2), "not the first application's client");
      assertEquals("second", owner(write2));
      assertTrue(read1.closed(), "the first application's reader is closed");
      assertTrue(write1.closed(), "the first application's writer is closed");

      // the application ends: its readers are closed; its writers stay open until the next
      // configuration (a shutdown hook may still tidy a run directory with them)
      HadoopPaths.release(first);
      assertFalse(read2.closed(), "another owner's release closes nothing");
      HadoopPaths.release(second);
      assertTrue(read2.closed());
      assertFalse(write2.closed());
      assertSame(write2, HadoopFiles.fileSystem(path, "--out"), "still the application's");
      RecordingFileSystem read3 = (RecordingFileSystem) HadoopPaths.fileSystem(path, "data");
      assertEquals("second", owner(read3), "its settings stay in use");
      HadoopPaths.configureFor(first, () -> with("first again"));
      assertTrue(write2.closed() && read3.closed(), "closed when the next application comes");
    } finally {
      HadoopPaths.configureFor(new Object(), Configuration::new);
    }
  }
}
