package io.gradspark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The arrows between packages, as each package-info.java states them: its "Imports:" statement is
 * parsed (the root package-info's sentence on Spark, Scala and Hadoop too), and every line of
 * code under src/main/java is scanned for references to project packages: imports, wildcard
 * imports ({@code io.gradspark.data.*}), static imports, fully qualified names in code, and
 * sub-packages ({@code io.gradspark.onnx.proto.Onnx} counts as onnx). A sub-package with a
 * package-info.java of its own ({@code spark.session}) is a package of its own here: its Imports
 * are its rules, its users must list it in theirs, and its "Imported by:" statement names the only
 * packages that may use it. A new arrow that points the wrong way fails here, naming the file and
 * line.
 */
class ArchitectureTest {
  private static final Path MAIN = Path.of("src/main/java/io/gradspark");

  /** A project reference: group 1 the package path after io.gradspark ("" for the root). */
  private static final Pattern PROJECT =
      Pattern.compile("\\bio\\.gradspark((?:\\.[a-z][a-z0-9_]*)*)\\.(?:[A-Z]|\\*)");
  private static final Pattern SPARK = Pattern.compile("\\b(org\\.apache\\.spark|scala)\\.");
  private static final Pattern HADOOP = Pattern.compile("\\borg\\.apache\\.hadoop\\.");
  private static final Pattern IMPORTS = Pattern.compile("Imports:\\s*(.*?)(?:\\.\\s|\\.$)",
      Pattern.DOTALL);
  private static final Pattern IMPORTED_BY =
      Pattern.compile("Imported by:\\s*(.*?)(?:\\.\\s|\\.$)", Pattern.DOTALL);
  private static final Pattern LIBRARIES = Pattern.compile("Only (.*?) import Spark or Scala;"
      + "\\s*only they and (.*?) import Hadoop", Pattern.DOTALL);
  private static final Pattern CODE_NAME = Pattern.compile("\\{@code ([a-z]+)\\}");
  /** "anything" in an Imports: statement. */
  private static final String ANY = "*";

  /** What a package-info says the package may use and who may use Spark and Hadoop. */
  record Rules(Map<String, Set<String>> mayUse, Set<String> sparkUsers, Set<String> hadoopUsers,
      Map<String, Set<String>> importedBy) {
    Rules(Map<String, Set<String>> mayUse, Set<String> sparkUsers, Set<String> hadoopUsers) {
      this(mayUse, sparkUsers, hadoopUsers, Map.of());
    }

    /** The package whose rules hold for path: its longest prefix with a package-info. */
    String ruled(String path) {
      String p = path;
      while (!mayUse.containsKey(p) && p.contains(".")) {
        p = p.substring(0, p.lastIndexOf('.'));
      }
      return p;
    }
  }

  /** The rules as the package-info.java files under src/main/java state them. */
  static Rules rules() throws IOException {
    Map<String, Set<String>> mayUse = new TreeMap<>();
    Map<String, Set<String>> importedBy = new TreeMap<>();
    List<Path> infos;
    try (Stream<Path> files = Files.walk(MAIN)) {
      infos = files.filter(p -> p.getFileName().toString().equals("package-info.java")).toList();
    }
    for (Path info : infos) {
      String doc = javadoc(Files.readString(info));
      mayUse.put(packageOf(info), imports(doc, info.toString()));
      if (packageOf(info).contains(".")) {
        importedBy.put(packageOf(info), importedBy(doc, info.toString()));
      }
    }
    Matcher m = LIBRARIES.matcher(javadoc(Files.readString(MAIN.resolve("package-info.java"))));
    assertTrue(m.find(), "the root package-info says who imports Spark, Scala and Hadoop");
    Set<String> spark = codeNames(m.group(1));
    Set<String> hadoop = codeNames(m.group(1));
    hadoop.addAll(codeNames(m.group(2)));
    return new Rules(mayUse, spark, hadoop, importedBy);
  }

  /** The packages a sub-package's "Imported by:" statement names: "spark only" is spark. */
  static Set<String> importedBy(String doc, String where) {
    Matcher m = IMPORTED_BY.matcher(doc);
    assertTrue(m.find(), where + " has no \"Imported by: ...\" statement");
    Set<String> out = new LinkedHashSet<>();
    for (String item : m.group(1).replaceAll("\\s+", " ").split(",| and ")) {
      String p = item.trim().replaceFirst(" only$", "").replaceFirst("^only ", "");
      assertTrue(p.matches("[a-z]+(\\.[a-z]+)*"), where + ": cannot read \"" + item.trim()
          + "\" in its Imported by: statement as a package");
      out.add(p);
    }
    return out;
  }

  /** The packages an "Imports:" statement names: "root, nn, io; never Spark" is root, nn, io. */
  static Set<String> imports(String doc, String where) {
    Matcher m = IMPORTS.matcher(doc);
    assertTrue(m.find(), where + " has no \"Imports: ...\" statement");
    String list = m.group(1).split(";")[0].replaceAll("\\s+", " ").trim();
    Set<String> out = new LinkedHashSet<>();
    if (list.equals("anything")) {
      out.add(ANY);
      return out;
    }
    if (list.equals("nothing") || list.startsWith("nothing ")) {
      return out;
    }
    for (String item : list.split(",| and ")) {
      String p = item.trim().replaceFirst("^only ", "").replaceFirst("^the ", "");
      if (p.isEmpty()) {
        continue;
      }
      p = p.equals("root") || p.equals("root package") ? "" : p;
      assertTrue(p.matches("[a-z]*(\\.[a-z]+)*"), where + ": cannot read \"" + item.trim()
          + "\" in its Imports: statement as a package");
      out.add(p);
    }
    return out;
  }

  private static Set<String> codeNames(String text) {
    Set<String> out = new LinkedHashSet<>();
    Matcher m = CODE_NAME.matcher(text);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  /** A comment's text without the leading asterisks of its lines. */
  private static String javadoc(String source) {
    return source.replaceAll("(?m)^\\s*\\*\\s?", " ").replaceAll("\\s+", " ");
  }

  /** The arrows that point the wrong way in the lines of a file of package pkg. */
  static List<String> violations(String file, String pkg, List<String> lines, Rules rules) {
    String top = rules.ruled(pkg);
    Set<String> allowed = rules.mayUse().get(top);
    assertTrue(allowed != null, "package " + top + " has no package-info.java stating its Imports");
    List<String> wrong = new ArrayList<>();
    boolean inComment = false;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).trim();
      if (inComment || line.startsWith("/*")) {
        inComment = !line.contains("*/");
        continue;
      }
      if (line.startsWith("*") || line.startsWith("//") || line.startsWith("package ")) {
        continue;
      }
      String code = line.replaceAll("\"([^\"\\\\]|\\\\.)*\"", "\"\"").replaceAll("//.*", "");
      String at = file + ":" + (i + 1) + ": " + pkg;
      Matcher m = PROJECT.matcher(code);
      while (m.find()) {
        String path = m.group(1).isEmpty() ? "" : m.group(1).substring(1);
        String used = rules.ruled(path);
        if (!rules.mayUse().containsKey(used)) {
          used = path.contains(".") ? path.substring(0, path.indexOf('.')) : path;
        }
        if (!used.equals(top) && !allowed.contains(used) && !allowed.contains(ANY)) {
          wrong.add(at + " uses " + (used.isEmpty() ? "the root package" : used) + ": " + line);
        } else if (!used.equals(top) && rules.importedBy().containsKey(used)
            && !rules.importedBy().get(used).contains(top)) {
          wrong.add(at + " uses " + used + ", which only " + rules.importedBy().get(used)
              + " may import: " + line);
        }
      }
      String topLevel = top.contains(".") ? top.substring(0, top.indexOf('.')) : top;
      if (SPARK.matcher(code).find() && !rules.sparkUsers().contains(topLevel)) {
        wrong.add(at + " uses Spark or Scala: " + line);
      }
      if (HADOOP.matcher(code).find() && !rules.hadoopUsers().contains(topLevel)) {
        wrong.add(at + " uses Hadoop (use io.gradspark.fs): " + line);
      }
    }
    return wrong;
  }

  @Test
  void everyPackageUsesOnlyWhatItsPackageInfoAllows() throws IOException {
    Rules rules = rules();
    List<String> wrong = new ArrayList<>();
    Set<String> seen = new java.util.TreeSet<>();
    try (Stream<Path> files = Files.walk(MAIN)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        String pkg = packageOf(f);
        seen.add(pkg);
        wrong.addAll(violations(f.toString(), pkg, Files.readAllLines(f), rules));
      }
    }
    System.out.println("rules read from package-info.java: " + rules);
    System.out.println("packages scanned: " + seen + "; arrows that point the wrong way: "
        + wrong.size());
    assertEquals(List.of(), wrong);
    assertEquals(rules.mayUse().keySet(), seen, "every package has a package-info.java");
  }

  @Test
  void theScanCatchesWildcardsSubPackagesAndQualifiedNames() {
    Rules rules = new Rules(Map.of("", Set.of(), "nn", Set.of(""), "onnx", Set.of("", "nn"),
        "cli", Set.of(ANY)), Set.of("cli"), Set.of("cli"));
    List<String> nn = List.of(
        "import io.gradspark.GradsparkException;",
        "import io.gradspark.onnx.*;",
        "import static io.gradspark.cli.Main.execute;",
        "/* io.gradspark.cli.Main in a comment",
        "   io.gradspark.cli.Main still in it */",
        "  double[] w = io.gradspark.onnx.proto.Onnx.weights(x); // io.gradspark.cli.Main",
        "  String s = \"io.gradspark.cli.Main\";",
        "import org.apache.spark.api.java.*;",
        "import org.apache.hadoop.fs.Path;");
    List<String> wrong = violations("Nn.java", "nn", nn, rules);
    System.out.println(String.join("\n", wrong));
    assertEquals(5, wrong.size(), String.join("\n", wrong));
    assertTrue(wrong.get(0).startsWith("Nn.java:2: nn uses onnx"), wrong.get(0));
    assertTrue(wrong.get(1).startsWith("Nn.java:3: nn uses cli"), wrong.get(1));
    assertTrue(wrong.get(2).startsWith("Nn.java:6: nn uses onnx"), wrong.get(2));
    assertTrue(wrong.get(3).contains("uses Spark"), wrong.get(3));
    assertTrue(wrong.get(4).contains("uses Hadoop"), wrong.get(4));
    assertEquals(List.of(), violations("Cli.java", "cli", nn.subList(0, 7), rules));
    assertEquals(1, violations("R.java", "", List.of("import io.gradspark.nn.*;"), rules).size());
    Rules sub = new Rules(Map.of("", Set.of(), "spark", Set.of("", "spark.session"),
        "spark.session", Set.of(""), "cli", Set.of(ANY)), Set.of("spark", "cli"), Set.of(),
        Map.of("spark.session", Set.of("spark")));
    assertEquals(List.of(), violations("E.java", "spark", List.of(
        "import io.gradspark.spark.session.StepSession;"), sub));
    List<String> session = violations("S.java", "spark.session", List.of(
        "import io.gradspark.spark.CanonicalSum;", "import org.apache.spark.TaskContext;"), sub);
    assertEquals(1, session.size(), String.join("\n", session));
    assertTrue(session.get(0).startsWith("S.java:1: spark.session uses spark"), session.get(0));
    List<String> cli = violations("C.java", "cli", List.of(
        "import io.gradspark.spark.session.Frames;"), sub);
    assertEquals(1, cli.size(), String.join("\n", cli));
    assertTrue(cli.get(0).contains("which only [spark] may import"), cli.get(0));
    assertEquals(Set.of("spark"), importedBy("Imported by: spark only. The rest", "s"));
    assertEquals(Set.of("", "nn", "io"), imports(" <p>Imports: root, nn, io; never Spark."
        + " Imported by: api.", "onnx"));
    assertEquals(Set.of("", "nn", "fs"), imports("Imports: the root package, nn and fs. Imported"
        + " by: train.", "data"));
    assertEquals(Set.of(""), imports("Imports: only the root package. Imported by: all.", "nn"));
  }

  @Test
  void everyPackageSaysWhatItHoldsAndWhoMayImportIt() throws IOException {
    List<String> missing = new ArrayList<>();
    for (String pkg : rules().mayUse().keySet()) {
      Path info = (pkg.isEmpty() ? MAIN : MAIN.resolve(pkg.replace('.', '/')))
          .resolve("package-info.java");
      if (!Files.readString(info).contains("Imported by")) {
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
