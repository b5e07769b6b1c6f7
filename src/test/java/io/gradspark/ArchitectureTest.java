package io.gradspark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The arrows between packages, as each package-info.java states them: a scan of every import
 * line (and every fully qualified name in code) under src/main/java. A new arrow that points the
 * wrong way fails here, naming the file and line.
 */
class ArchitectureTest {
  private static final Path MAIN = Path.of("src/main/java/io/gradspark");

  /** Which project packages each package may use ("" is the root, io.gradspark). */
  private static final Map<String, Set<String>> MAY_USE = Map.ofEntries(
      Map.entry("", Set.of()),
      Map.entry("nn", Set.of("")),
      Map.entry("optim", Set.of("")),
      Map.entry("fs", Set.of("")),
      Map.entry("data", Set.of("", "nn", "fs")),
      Map.entry("eval", Set.of("", "nn")),
      Map.entry("train", Set.of("", "nn", "optim", "data", "eval")),
      Map.entry("io", Set.of("", "nn", "optim", "data", "eval", "train", "fs")),
      Map.entry("onnx", Set.of("", "nn", "io")),
      Map.entry("api", Set.of("", "nn", "optim", "data", "eval", "train", "io", "onnx", "fs")),
      Map.entry("config", Set.of("", "nn", "optim", "data", "train", "api", "fs")),
      Map.entry("experiment",
          Set.of("", "nn", "data", "eval", "train", "io", "api", "config", "fs")),
      Map.entry("spark", Set.of("", "nn", "optim", "data", "eval", "train", "io", "api", "fs")),
      Map.entry("cli", Set.of("", "nn", "optim", "data", "eval", "train", "io", "onnx", "api",
          "config", "experiment", "spark", "fs")));

  /** Only these packages may use Spark or Scala. */
  private static final Set<String> SPARK_USERS = Set.of("spark", "cli");

  /** Only these packages may use Hadoop (fs: its file systems, for everyone else). */
  private static final Set<String> HADOOP_USERS = Set.of("fs", "spark", "cli");

  private static final Pattern PROJECT = Pattern.compile("\\bio\\.gradspark\\.([a-z]+)\\.[A-Z]");
  private static final Pattern ROOT = Pattern.compile("\\bio\\.gradspark\\.[A-Z]");
  private static final Pattern SPARK =
      Pattern.compile("\\b(org\\.apache\\.spark|scala)\\.");
  private static final Pattern HADOOP = Pattern.compile("\\borg\\.apache\\.hadoop\\.");

  @Test
  void everyPackageUsesOnlyWhatItsPackageInfoAllows() throws IOException {
    List<String> wrong = new ArrayList<>();
    Set<String> seen = new TreeSet<>();
    try (Stream<Path> files = Files.walk(MAIN)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        String pkg = packageOf(f);
        if (pkg.startsWith("onnx.proto")) {
          continue; // generated protobuf classes live under target/, not here
        }
        seen.add(pkg);
        Set<String> allowed = MAY_USE.get(pkg);
        assertTrue(allowed != null, "package " + pkg + " is not in ArchitectureTest.MAY_USE: "
            + "add it, with the arrows its package-info.java states");
        List<String> lines = Files.readAllLines(f);
        for (int i = 0; i < lines.size(); i++) {
          String line = lines.get(i).trim();
          if (line.startsWith("*") || line.startsWith("/*") || line.startsWith("//")
              || line.startsWith("package ")) {
            continue;
          }
          String code = line.replaceAll("\"([^\"\\\\]|\\\\.)*\"", "\"\"");
          Matcher m = PROJECT.matcher(code);
          while (m.find()) {
            String used = m.group(1);
            if (!used.equals(pkg) && !allowed.contains(used)) {
              wrong.add(f + ":" + (i + 1) + ": " + pkg + " uses " + used + ": " + line);
            }
          }
          if (ROOT.matcher(code).find() && !pkg.isEmpty() && !allowed.contains("")) {
            wrong.add(f + ":" + (i + 1) + ": " + pkg + " uses the root package: " + line);
          }
          if (SPARK.matcher(code).find() && !SPARK_USERS.contains(pkg)) {
            wrong.add(f + ":" + (i + 1) + ": " + pkg + " uses Spark or Scala: " + line);
          }
          if (HADOOP.matcher(code).find() && !HADOOP_USERS.contains(pkg)) {
            wrong.add(f + ":" + (i + 1) + ": " + pkg + " uses Hadoop (use io.gradspark.fs): "
                + line);
          }
        }
      }
    }
    System.out.println("packages scanned: " + seen + "; arrows that point the wrong way: "
        + wrong.size());
    assertEquals(List.of(), wrong);
    assertEquals(MAY_USE.keySet(), seen, "every package in the rules exists");
  }

  @Test
  void everyPackageSaysWhatItHoldsAndWhoMayImportIt() throws IOException {
    List<String> missing = new ArrayList<>();
    for (String pkg : MAY_USE.keySet()) {
      Path info = (pkg.isEmpty() ? MAIN : MAIN.resolve(pkg)).resolve("package-info.java");
      if (!Files.isRegularFile(info)) {
        missing.add(info + " is missing");
      } else if (!Files.readString(info).contains("Imported by")) {
        missing.add(info + " does not say who may import the package (\"Imported by ...\")");
      }
    }
    assertEquals(List.of(), missing);
  }

  private static String packageOf(Path file) {
    Path rel = MAIN.relativize(file.getParent());
    return rel.toString().replace('/', '.');
  }
}
