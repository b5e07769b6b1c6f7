package io.gradspark.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;

/**
 * The packaged jars carry Gradspark's licence, the Apache License 2.0, exactly once as
 * META-INF/LICENSE: the shade plugin merges the bundled libraries' resources into the jar, and a
 * library's own META-INF/LICENSE must neither replace ours nor sit beside it under the same name.
 */
class LicenseIT {
  private static final Path LICENSE = Path.of("src/main/resources/META-INF/LICENSE");

  @Test
  void theJarsCarryTheApacheLicenceOnceAsMetaInfLicense() throws IOException {
    byte[] expected = Files.readAllBytes(LICENSE);
    for (String jar : List.of("target/gradspark-0.1.0-SNAPSHOT.jar",
        "target/original-gradspark-0.1.0-SNAPSHOT.jar")) {
      List<byte[]> found = new ArrayList<>();
      try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(Path.of(jar)))) {
        for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
          if (e.getName().equals("META-INF/LICENSE")) {
            found.add(readAll(zip));
          }
        }
      }
      System.out.println(jar + ": " + found.size() + " META-INF/LICENSE entries");
      assertEquals(1, found.size(), jar + " has one META-INF/LICENSE");
      assertArrayEquals(expected, found.get(0), jar + ": META-INF/LICENSE is " + LICENSE);
      assertTrue(new String(found.get(0)).contains("Apache License"));
    }
  }

  private static byte[] readAll(InputStream in) throws IOException {
    return in.readAllBytes();
  }
}
