package io.gradspark.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

/**
 * Issue 27, hidden state: the first Hadoop configuration no longer wins for the whole JVM. Each
 * owner (the Spark layer passes its application's SparkEnv) gets its own configuration in use;
 * the same owner's is not rebuilt.
 */
class HadoopConfigurationTest {
  private static Configuration with(String value) {
    Configuration c = new Configuration(false);
    c.set("gradspark.test.owner", value);
    return c;
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
}
