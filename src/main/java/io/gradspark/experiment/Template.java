package io.gradspark.experiment;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Named snippets of prose from one class-path resource, with {@code {{name}}} placeholders filled
 * from a map. A snippet starts at a line {@code <!-- snippet: NAME -->} and runs to the next such
 * line; text before the first snippet is a comment for whoever edits the file. Blank lines around a
 * snippet are dropped. Rendering fails on a placeholder the map does not fill, and on a value for a
 * placeholder the snippet does not have, so that prose and code cannot drift apart unnoticed.
 */
final class Template {
  private static final Pattern SNIPPET = Pattern.compile("(?m)^<!-- snippet: ([a-z0-9-]+) -->$");
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([a-z0-9_]+)}}");

  private final String resource;
  private final Map<String, String> snippets;

  private Template(String resource, Map<String, String> snippets) {
    this.resource = resource;
    this.snippets = Map.copyOf(snippets);
  }

  /** Reads the snippets of a resource next to this class, e.g. "report-template.md". */
  static Template load(String resource) {
    try (InputStream in = Template.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("resource " + resource + " is missing");
      }
      return parse(resource, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The snippets of text; resource names the text in error messages. */
  static Template parse(String resource, String text) {
    Map<String, String> snippets = new LinkedHashMap<>();
    Matcher m = SNIPPET.matcher(text);
    String name = null;
    int start = 0;
    while (m.find()) {
      if (name != null) {
        snippets.put(name, strip(text.substring(start, m.start())));
      }
      name = m.group(1);
      start = m.end();
      if (snippets.containsKey(name)) {
        throw new IllegalStateException(resource + ": snippet " + name + " is there twice");
      }
    }
    if (name != null) {
      snippets.put(name, strip(text.substring(start)));
    }
    return new Template(resource, snippets);
  }

  /** The snippet with every placeholder replaced by its value. */
  String render(String snippet, Map<String, String> values) {
    String text = snippets.get(snippet);
    if (text == null) {
      throw new IllegalStateException(resource + " has no snippet " + snippet);
    }
    Set<String> placeholders = new TreeSet<>();
    Matcher m = PLACEHOLDER.matcher(text);
    while (m.find()) {
      placeholders.add(m.group(1));
    }
    Set<String> unfilled = new TreeSet<>(placeholders);
    unfilled.removeAll(values.keySet());
    Set<String> unknown = new TreeSet<>(values.keySet());
    unknown.removeAll(placeholders);
    if (!unfilled.isEmpty() || !unknown.isEmpty()) {
      throw new IllegalStateException(resource + ", snippet " + snippet + ": "
          + (unfilled.isEmpty() ? "" : "no value for " + unfilled + " ")
          + (unknown.isEmpty() ? "" : "no placeholder for " + unknown));
    }
    StringBuilder b = new StringBuilder();
    m.reset();
    while (m.find()) {
      m.appendReplacement(b, Matcher.quoteReplacement(values.get(m.group(1))));
    }
    return m.appendTail(b).toString();
  }

  /** The snippet's text as is (it must have no placeholders). */
  String render(String snippet) {
    return render(snippet, Map.of());
  }

  private static String strip(String text) {
    return text.replaceAll("^\\s*\\n", "").stripTrailing();
  }
}
