package io.gradspark.cli;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * A command on a Java that Spark 4.1's Hadoop client cannot run on is refused up front, saying
 * so, rather than failing on its first file with "getSubject is not supported" and a hint about
 * name nodes; the Javas it runs on are not refused.
 */
class JavaVersionTest {

  @Test
  void javasFromTwentyThreeOnAreRefusedWithTheReasonAndTheOnesBeforeAreNot() {
    for (int feature : new int[] {17, 21, 22}) {
      assertNull(Main.javaProblem(feature, null), "Java " + feature);
    }
    // Java 23 hands the Subject out only under -Djava.security.manager=allow
    assertNull(Main.javaProblem(23, "allow"));
    for (int feature : new int[] {23, 24, 25}) {
      String problem = Main.javaProblem(feature, null);
      assertNotNull(problem, "Java " + feature);
      assertTrue(problem.startsWith("Java " + feature + " cannot run Spark 4.1's Hadoop client"),
          problem);
    }
    assertNotNull(Main.javaProblem(24, "allow"), "Java 24 has no security manager to allow");
    // the JVM running the tests is one of the Javas the build supports
    assertNull(Main.javaProblem(Runtime.version().feature(),
        System.getProperty("java.security.manager")));
  }
}
