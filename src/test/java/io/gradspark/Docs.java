package io.gradspark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The project's documentation as the doc tests read it: README.md and the pages under
 * src/site/markdown, their fenced code blocks (with the HTML comment on the line before, which
 * marks a block as runnable or as a snippet of a test source) and their headings' anchors as
 * GitHub renders them.
 */
public final class Docs {
  public static final Path README = Path.of("README.md");
  public static final Path PAGES = Path.of("src/site/markdown");

  private static final Pattern FENCE = Pattern.compile("^(\\s*)(```+|~~~+)\\s*([\\w+-]*).*$");
  private static final Pattern HEADING = Pattern.compile("^(#{1,6})\\s+(.*?)\\s*#*\\s*$");
  private static final Pattern HTML_ID = Pattern.compile("<a\\s+(?:id|name)=\"([^\"]+)\"");
  private static final Pattern COMMENT = Pattern.compile("^\\s*<!--\\s*(.*?)\\s*-->\\s*$");

  private Docs() {}

  /** A fenced code block: its page, the line of its opening fence (1-based), language, text. */
  public record Block(Path page, int line, String language, String text, String marker) {
    public String where() {
      return page + ":" + line;
    }
  }

  /** README.md and every markdown page under src/site/markdown, in a fixed order. */
  public static List<Path> all() {
    List<Path> pages = new ArrayList<>();
    pages.add(README);
    try (Stream<Path> s = Files.walk(PAGES)) {
      s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return pages;
  }

  public static String read(Path page) {
    try {
      return Files.readString(page);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The fenced blocks of a page. marker: the text of an HTML comment on the last non-blank line
   * before the fence ("runnable", "snippet: FILE#REGION"), or "" when there is none.
   */
  public static List<Block> blocks(Path page) {
    String[] lines = read(page).split("\n", -1);
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i < lines.length; i++) {
      Matcher open = FENCE.matcher(lines[i]);
      if (!open.matches()) {
        continue;
      }
      String fence = open.group(2);
      String indent = open.group(1);
      StringBuilder text = new StringBuilder();
      int j = i + 1;
      while (j < lines.length && !lines[j].trim().startsWith(fence)) {
        String l = lines[j];
        text.append(l.startsWith(indent) ? l.substring(indent.length()) : l.stripLeading())
            .append('\n');
        j++;
      }
      String marker = "";
      for (int k = i - 1; k >= 0; k--) {
        if (!lines[k].isBlank()) {
          Matcher c = COMMENT.matcher(lines[k]);
          marker = c.matches() ? c.group(1) : "";
          break;
        }
      }
      blocks.add(new Block(page, i + 1, open.group(3).toLowerCase(Locale.ROOT), text.toString(),
          marker));
      i = j;
    }
    return blocks;
  }

  /** The page's text outside fenced blocks (links and headings are looked for there only). */
  public static List<String> proseLines(Path page) {
    String[] lines = read(page).split("\n", -1);
    List<String> prose = new ArrayList<>();
    String fence = null;
    for (String line : lines) {
      Matcher m = FENCE.matcher(line);
      if (fence == null && m.matches()) {
        fence = m.group(2);
        prose.add("");
      } else if (fence != null) {
        if (line.trim().startsWith(fence)) {
          fence = null;
        }
        prose.add("");
      } else {
        prose.add(line);
      }
    }
    return prose;
  }

  /**
   * The anchors a page offers, as GitHub makes them: each heading lowercased, its markup (code
   * spans, emphasis, link targets) dropped, every character but letters, digits, spaces, '-' and
   * '_' removed, spaces turned into '-', and a repeated anchor suffixed -1, -2, ...; plus the ids
   * of {@code <a id="...">} elements.
   */
  public static Set<String> anchors(Path page) {
    Set<String> anchors = new LinkedHashSet<>();
    Map<String, Integer> seen = new HashMap<>();
    for (String line : proseLines(page)) {
      Matcher h = HEADING.matcher(line);
      if (h.matches()) {
        String slug = slug(h.group(2));
        int n = seen.merge(slug, 1, Integer::sum) - 1;
        anchors.add(n == 0 ? slug : slug + "-" + n);
      }
      Matcher id = HTML_ID.matcher(line);
      while (id.find()) {
        anchors.add(id.group(1));
      }
    }
    return anchors;
  }

  static String slug(String heading) {
    String text = heading.replaceAll("!?\\[([^\\]]*)\\]\\([^)]*\\)", "$1")
        .replaceAll("<[^>]+>", "")
        .toLowerCase(Locale.ROOT);
    StringBuilder s = new StringBuilder();
    text.codePoints().forEach(c -> {
      if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
        s.appendCodePoint(c);
      } else if (c == ' ') {
        s.append('-');
      }
    });
    return s.toString();
  }

  /** The region NAME of a source file: the lines between "// region NAME" and "// endregion", dedented. */
  public static String region(Path source, String name) {
    String[] lines = read(source).split("\n", -1);
    int start = -1;
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].trim().equals("// region " + name)) {
        if (start >= 0) {
          throw new AssertionError(source + ": region " + name + " twice");
        }
        start = i + 1;
      }
    }
    if (start < 0) {
      throw new AssertionError(source + " has no region " + name);
    }
    List<String> body = new ArrayList<>();
    for (int i = start; !lines[i].trim().equals("// endregion"); i++) {
      body.add(lines[i]);
    }
    int indent = body.stream().filter(l -> !l.isBlank())
        .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
    StringBuilder s = new StringBuilder();
    for (String l : body) {
      s.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
    }
    return s.toString();
  }

  /** The names of the regions of a source file. */
  public static List<String> regions(Path source) {
    List<String> names = new ArrayList<>();
    for (String line : read(source).split("\n")) {
      String t = line.trim();
      if (t.startsWith("// region ")) {
        names.add(t.substring("// region ".length()));
      }
    }
    return names;
  }
}
