package io.gradspark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The docs cannot rot silently: every relative link of README.md and the pages resolves (file and
 * anchor); the README stays a landing page that links every page; the settings page lists exactly
 * reference.conf's keys with their defaults; the API page's Java blocks are the regions of
 * ApiExamplesTest, which runs them; the architecture page's package arrows are the package-info
 * files'; the licence is Apache 2.0 in the pom, the jar's resources and the README.
 */
class DocsTest {
  private static final Pattern LINK = Pattern.compile("!?\\[(?:[^\\[\\]]|\\[[^\\]]*\\])*\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
  private static final Pattern CODE_SPAN = Pattern.compile("`[^`]*`");
  private static final Path REFERENCE = Path.of("src/main/resources/reference.conf");
  private static final int README_MAX_LINES = 220;

  /** The relative links of a page that do not resolve; counts every relative link in checked. */
  static List<String> brokenLinks(Path page, int[] checked) {
    List<String> broken = new ArrayList<>();
    Path root = Path.of("").toAbsolutePath();
    List<String> lines = Docs.proseLines(page);
    for (int i = 0; i < lines.size(); i++) {
      Matcher m = LINK.matcher(CODE_SPAN.matcher(lines.get(i)).replaceAll(""));
      while (m.find()) {
        String target = m.group(1);
        if (target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
          continue; // https:, mailto:
        }
        checked[0]++;
        String where = page + ":" + (i + 1) + ": (" + target + ")";
        int hash = target.indexOf('#');
        String file = hash < 0 ? target : target.substring(0, hash);
        Path resolved = file.isEmpty() ? page.toAbsolutePath()
            : page.toAbsolutePath().getParent().resolve(file).normalize();
        if (!Files.exists(resolved)) {
          broken.add(where + " no such file " + resolved);
        } else if (!resolved.startsWith(root)) {
          broken.add(where + " leaves the repository");
        } else if (hash >= 0) {
          String anchor = target.substring(hash + 1);
          Set<String> anchors = resolved.toString().endsWith(".md")
              ? Docs.anchors(root.relativize(resolved)) : Set.of();
          if (!anchors.contains(anchor)) {
            broken.add(where + " no heading or id '" + anchor + "' in " + resolved
                + "; it has " + anchors);
          }
        }
      }
    }
    return broken;
  }

  @Test
  void everyRelativeLinkResolvesToAFileAndAnchor() {
    List<String> broken = new ArrayList<>();
    int[] checked = {0};
    for (Path page : Docs.all()) {
      broken.addAll(brokenLinks(page, checked));
    }
    System.out.println(checked[0] + " relative links checked, " + broken.size() + " broken");
    assertEquals(List.of(), broken, String.join("\n", broken));
    assertTrue(checked[0] > 100, "the link pattern finds the docs' links: " + checked[0]);
  }

  @Test
  void theLinkCheckFindsAMissingFileAndAMissingAnchor() throws Exception {
    Path page = Files.createTempFile(Docs.PAGES, "links-", ".md");
    try {
      Files.writeString(page, String.join("\n", "# A page", "",
          "[ok](settings.md#training) [ok too](#a-page) [web](https://spark.apache.org)",
          "[gone](nope.md) [no anchor](settings.md#no-such-heading) `[code](nope2.md)`",
          "```", "[in a block](nope3.md)", "```", ""));
      int[] checked = {0};
      List<String> broken = brokenLinks(Path.of("").toAbsolutePath().relativize(
          page.toAbsolutePath()), checked);
      assertEquals(4, checked[0]);
      assertEquals(2, broken.size(), String.join("\n", broken));
      assertTrue(broken.get(0).contains("nope.md") && broken.get(1).contains("no-such-heading"),
          String.join("\n", broken));
    } finally {
      Files.delete(page);
    }
  }

  @Test
  void anchorsAreMadeAsGitHubMakesThem() {
    assertEquals("checkpoints-and-resuming", Docs.slug("Checkpoints and resuming"));
    assertEquals("evaluate-and-predict-on-spark", Docs.slug("`evaluate` and `predict` on Spark"));
    assertEquals("data-the-training-set-datatrain", Docs.slug("Data: the training set (`data.train`)"));
    assertEquals("the-large-sparse-case-run-by-hand", Docs.slug("The large sparse case (run by hand)"));
    assertEquals("spark-submit", Docs.slug("spark-submit"));
    assertEquals("1-what-its-for", Docs.slug("1. What it's for"));
  }

  @Test
  void theReadmeIsALandingPageThatLinksEveryPage() throws Exception {
    List<String> lines = Files.readAllLines(Docs.README);
    System.out.println("README.md: " + lines.size() + " lines (at most " + README_MAX_LINES + ")");
    assertTrue(lines.size() <= README_MAX_LINES, "README.md has " + lines.size() + " lines");

    // a fresh machine's two commands come first, and CI runs exactly the README's test command
    Docs.Block first = Docs.blocks(Docs.README).get(0);
    assertTrue(first.text().startsWith("submit/gradspark train --config conf/mnist.conf"),
        first.text());
    String test = first.text().lines().skip(1).findFirst().orElse("").replaceAll("#.*", "").trim();
    assertEquals("mvn -B verify", test);
    List<String> ci = Files.readAllLines(Path.of(".ci/run"));
    assertEquals(test, ci.get(ci.size() - 1).trim(), ".ci/run ends with the README's command");

    String readme = Docs.read(Docs.README);
    Set<String> linked = new TreeSet<>();
    Matcher m = LINK.matcher(readme);
    while (m.find()) {
      linked.add(m.group(1).replaceAll("#.*", ""));
    }
    List<String> unlinked = new ArrayList<>();
    for (Path page : Docs.all()) {
      if (!page.equals(Docs.README) && !linked.contains(page.toString())) {
        unlinked.add(page.toString());
      }
    }
    assertEquals(List.of(), unlinked, "pages the README does not link");

    // and the index page links every other page
    Path index = Docs.PAGES.resolve("index.md");
    Set<String> fromIndex = new TreeSet<>();
    Matcher im = LINK.matcher(Docs.read(index));
    while (im.find()) {
      fromIndex.add(Docs.PAGES.resolve(im.group(1).replaceAll("#.*", "")).normalize().toString());
    }
    List<String> notInIndex = new ArrayList<>();
    for (Path page : Docs.all()) {
      if (!page.equals(index) && !page.equals(Docs.README)
          && !fromIndex.contains(page.toString())) {
        notInIndex.add(page.toString());
      }
    }
    assertEquals(List.of(), notInIndex, "pages index.md does not link");
  }

  /** Rows "| `key` | type | `default` | meaning |" of the settings page, by key. */
  static Map<String, String> settingsRows(Path page) {
    Map<String, String> rows = new LinkedHashMap<>();
    for (String line : Docs.proseLines(page)) {
      if (!line.startsWith("| `")) {
        continue;
      }
      String[] cells = line.substring(1).split("(?<!\\\\)\\|");
      String key = cells[0].trim().replace("`", "");
      assertTrue(cells.length >= 4, page + ": a settings row needs key, type, default, meaning: "
          + line);
      assertTrue(!cells[1].isBlank() && !cells[3].isBlank(), page + ": " + key
          + " has no type or meaning");
      String previous = rows.put(key, cells[2].trim().replace("`", ""));
      assertTrue(previous == null, page + ": " + key + " twice");
    }
    return rows;
  }

  @Test
  void theSettingsPageListsEveryKeyOfReferenceConfWithItsDefault() {
    Config reference = ConfigFactory.parseFile(REFERENCE.toFile());
    Map<String, ConfigValue> keys = new TreeMap<>();
    reference.entrySet().forEach(e -> keys.put(e.getKey(), e.getValue()));
    Map<String, String> page = settingsRows(Docs.PAGES.resolve("settings.md"));

    Set<String> missing = new TreeSet<>(keys.keySet());
    missing.removeAll(page.keySet());
    Set<String> unknown = new TreeSet<>(page.keySet());
    unknown.removeAll(keys.keySet());
    List<String> wrongDefault = new ArrayList<>();
    for (Map.Entry<String, String> row : page.entrySet()) {
      ConfigValue declared = keys.get(row.getKey());
      if (declared != null) {
        Object shown = ConfigFactory.parseString("v = " + row.getValue()).getValue("v").unwrapped();
        if (!same(declared.unwrapped(), shown)) {
          wrongDefault.add(row.getKey() + ": the page says " + row.getValue()
              + ", reference.conf " + declared.render());
        }
      }
    }
    System.out.println("settings.md: " + page.size() + " keys; reference.conf: " + keys.size()
        + "; missing " + missing + ", unknown " + unknown + ", wrong defaults " + wrongDefault);
    assertEquals(Set.of(), missing, "keys of reference.conf missing from settings.md");
    assertEquals(Set.of(), unknown, "keys on settings.md that reference.conf does not declare");
    assertEquals(List.of(), wrongDefault);
  }

  private static boolean same(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      return x.doubleValue() == y.doubleValue();
    }
    if (a instanceof List<?> x && b instanceof List<?> y) {
      if (x.size() != y.size()) {
        return false;
      }
      for (int i = 0; i < x.size(); i++) {
        if (!same(x.get(i), y.get(i))) {
          return false;
        }
      }
      return true;
    }
    return a.equals(b);
  }

  @Test
  void theSettingsCheckFailsOnAMissingKeyAnUnknownKeyAndAStaleDefault() throws Exception {
    Path page = Files.createTempFile("settings", ".md");
    Files.writeString(page, String.join("\n",
        "| key | type | default | meaning |", "|---|---|---|---|",
        "| `training.epochs` | integer | `10` | epochs |",
        "| `training.epoks` | integer | `10` | a typo |",
        "| `training.seed` | integer | `7` | stale |", ""));
    Map<String, String> rows = settingsRows(page);
    Config reference = ConfigFactory.parseFile(REFERENCE.toFile());
    assertEquals(Set.of("training.epochs", "training.epoks", "training.seed"), rows.keySet());
    assertTrue(!reference.hasPath("training.epoks"));
    assertTrue(!same(reference.getValue("training.seed").unwrapped(),
        ConfigFactory.parseString("v = 7").getValue("v").unwrapped()));
    assertTrue(same(reference.getValue("model.layers").unwrapped(),
        ConfigFactory.parseString("v = [784, 64, 10]").getValue("v").unwrapped()));
    Files.delete(page);
  }

  @Test
  void everySnippetIsTheRegionOfATestThatRunsIt() {
    Map<Path, Set<String>> shown = new LinkedHashMap<>();
    List<String> differ = new ArrayList<>();
    int snippets = 0;
    for (Path page : Docs.all()) {
      for (Docs.Block b : Docs.blocks(page)) {
        if (!b.marker().startsWith("snippet:")) {
          continue;
        }
        snippets++;
        String ref = b.marker().substring("snippet:".length()).trim();
        Path source = Path.of(ref.substring(0, ref.indexOf('#')));
        String name = ref.substring(ref.indexOf('#') + 1);
        shown.computeIfAbsent(source, s -> new LinkedHashSet<>()).add(name);
        String region = Docs.region(source, name);
        if (!region.equals(b.text())) {
          differ.add(b.where() + " differs from " + ref + ":\n--- page\n" + b.text()
              + "--- test\n" + region);
        }
      }
    }
    System.out.println(snippets + " snippets compared with their test regions");
    assertEquals(List.of(), differ, String.join("\n", differ));
    Path examples = Path.of("src/test/java/io/gradspark/spark/ApiExamplesTest.java");
    assertEquals(new LinkedHashSet<>(Docs.regions(examples)), shown.get(examples),
        "every example the test runs is shown on a page");
    // every Java block of the API page is such a snippet
    for (Docs.Block b : Docs.blocks(Docs.PAGES.resolve("api.md"))) {
      if (b.language().equals("java")) {
        assertTrue(b.marker().startsWith("snippet:"), b.where() + " is Java not run by a test");
      }
    }
  }

  /**
   * The Scala block of the API page is not compiled (the build has no Scala compiler); it calls
   * only what exists: each Class.method it names is a public method of a class it imports.
   */
  @Test
  void theScalaExampleCallsMethodsThatExist() throws Exception {
    List<Docs.Block> scala = Docs.blocks(Docs.PAGES.resolve("api.md")).stream()
        .filter(b -> b.language().equals("scala")).toList();
    assertEquals(1, scala.size());
    String text = scala.get(0).text();
    List<String> packages = new ArrayList<>();
    Map<String, String> classes = new TreeMap<>();
    for (String line : text.split("\n")) {
      if (!line.startsWith("import ")) {
        continue;
      }
      for (String item : line.substring("import ".length()).split(",")) {
        String qualified = item.trim();
        String last = qualified.substring(qualified.lastIndexOf('.') + 1);
        String pkg = qualified.substring(0, qualified.lastIndexOf('.'));
        if (last.equals("_")) {
          packages.add(pkg);
        } else {
          classes.put(last, qualified);
        }
      }
    }
    Matcher call = Pattern.compile("\\b([A-Z]\\w+)\\.([a-z]\\w*)\\b").matcher(text);
    int checked = 0;
    while (call.find()) {
      Class<?> c = resolve(call.group(1), classes, packages);
      if (c == null || !c.getName().startsWith("io.gradspark")) {
        continue;
      }
      String name = call.group(2);
      boolean found = false;
      for (Method method : c.getMethods()) {
        found |= method.getName().equals(name) && Modifier.isPublic(method.getModifiers());
      }
      assertTrue(found, "the Scala example calls " + c.getName() + "." + name);
      checked++;
    }
    Matcher ctor = Pattern.compile("new ([A-Z]\\w+)\\(").matcher(text);
    while (ctor.find()) {
      Class<?> c = resolve(ctor.group(1), classes, packages);
      assertTrue(c != null, "the Scala example constructs " + ctor.group(1));
      checked++;
    }
    System.out.println("Scala example: " + checked + " calls of the project's API found");
    assertTrue(checked >= 3);
  }

  private static Class<?> resolve(String simple, Map<String, String> classes,
      List<String> packages) {
    List<String> names = new ArrayList<>();
    if (classes.containsKey(simple)) {
      names.add(classes.get(simple));
    }
    packages.forEach(p -> names.add(p + "." + simple));
    for (String n : names) {
      try {
        return Class.forName(n);
      } catch (ClassNotFoundException e) {
        // try the next import
      }
    }
    return null;
  }

  @Test
  void theArchitecturePageShowsThePackageArrowsOfThePackageInfos() throws Exception {
    Map<String, Set<String>> rules = ArchitectureTest.rules().mayUse();
    Map<String, Set<String>> page = new TreeMap<>();
    Pattern row = Pattern.compile("^\\| `([\\w.]+)` \\| ([^|]*) \\|");
    for (String line : Docs.proseLines(Docs.PAGES.resolve("architecture.md"))) {
      Matcher m = row.matcher(line);
      if (m.find()) {
        Set<String> uses = new TreeSet<>();
        for (String p : m.group(2).split(",")) {
          String u = p.trim().replace("`", "");
          if (u.equals("anything")) {
            uses.add("*");
          } else if (!u.equals("nothing") && !u.isEmpty()) {
            uses.add(u.equals("root") ? "" : u);
          }
        }
        page.put(m.group(1).equals("root") ? "" : m.group(1), uses);
      }
    }
    Map<String, Set<String>> expected = new TreeMap<>();
    rules.forEach((k, v) -> expected.put(k, new TreeSet<>(v)));
    assertEquals(expected, page, "architecture.md's arrows against the package-info files");
  }

  @Test
  void theLicenceIsApache2InThePomTheJarAndTheReadme() throws Exception {
    byte[] text = Files.readAllBytes(Path.of("src/main/resources/META-INF/LICENSE"));
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text));
    // the SHA-256 of https://www.apache.org/licenses/LICENSE-2.0.txt, as Apache's jars carry it
    assertEquals("cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30", sha);
    String pom = Files.readString(Path.of("pom.xml"));
    assertTrue(pom.matches("(?s).*<licenses>\\s*<license>\\s*<name>Apache License, Version 2\\.0"
        + "</name>\\s*<url>https://www\\.apache\\.org/licenses/LICENSE-2\\.0\\.txt</url>.*"), pom);
    assertTrue(Docs.read(Docs.README).contains(
        "[Apache License 2.0](src/main/resources/META-INF/LICENSE)"), "README names the licence");
  }
}
