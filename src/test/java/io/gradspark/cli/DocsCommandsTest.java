package io.gradspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import io.gradspark.Docs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The docs' command lines cannot rot: every {@code submit/gradspark ...} (and every
 * {@code spark-submit ... gradspark-*.jar ...}) in a shell block of README.md and the pages parses
 * against the real picocli command line, without running it; every config file it names exists;
 * every key it sets or sweeps, and every key of a {@code hocon} block, is declared in
 * reference.conf. Blocks marked {@code <!-- runnable -->} are run in this JVM (on the shared
 * SparkContext where they use Spark), with their {@code runs/...} paths moved to a temporary
 * directory, and must exit 0.
 */
class DocsCommandsTest {
  private static final Set<String> SHELL = Set.of("bash", "sh", "shell", "console", "");
  private static final Set<String> OPERATORS = Set.of("|", "||", "&&", ";", ">", ">>", "2>", "&");
  private static final Config REFERENCE =
      ConfigFactory.parseFile(Path.of("src/main/resources/reference.conf").toFile());

  @TempDir
  static Path tmp;

  /**
   * A command of the docs: where it is, its arguments after the launcher, and the files its block
   * shows being made or listed ({@code cat gc.conf}, {@code > gc.conf}), which need not exist.
   */
  record Command(String where, List<String> args, boolean runnable, Set<String> shown) {}

  private static final java.util.regex.Pattern SHOWN =
      java.util.regex.Pattern.compile("(?:\\bcat\\s+(?:>\\s*)?|>\\s*)([\\w./-]+)");

  /** Shell words of a logical line: quotes removed, a word starting with # ends the line. */
  static List<String> words(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder w = null;
    char quote = 0;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else if (c == '\\' && quote == '"' && i + 1 < line.length()) {
          w.append(line.charAt(++i));
        } else {
          w.append(c);
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
        w = w == null ? new StringBuilder() : w;
      } else if (Character.isWhitespace(c)) {
        if (w != null) {
          words.add(w.toString());
          w = null;
        }
      } else if (c == '#' && w == null) {
        break;
      } else {
        w = w == null ? new StringBuilder() : w;
        w.append(c);
      }
    }
    if (w != null) {
      words.add(w.toString());
    }
    return words;
  }

  /** The gradspark command lines of a shell block (continuation lines joined). */
  static List<Command> commands(Docs.Block b) {
    List<Command> out = new ArrayList<>();
    String text = b.text().replace("\\\n", " ");
    Set<String> shown = new TreeSet<>();
    java.util.regex.Matcher m = SHOWN.matcher(text);
    while (m.find()) {
      shown.add(m.group(1));
    }
    int n = 0;
    for (String line : text.split("\n")) {
      n++;
      List<String> w = words(line.replaceFirst("^\\s*\\$ ", ""));
      int start = -1;
      for (int i = 0; i < w.size() && start < 0; i++) {
        if (w.get(i).equals("submit/gradspark")) {
          start = i + 1;
        } else if (w.get(i).equals("spark-submit")) {
          for (int j = i + 1; j < w.size(); j++) {
            if (w.get(j).matches(".*/gradspark-[^/]*\\.jar")) {
              start = j + 1;
              break;
            }
          }
          if (start < 0) {
            start = w.size(); // spark-submit of another jar: nothing of ours to check
          }
        }
      }
      if (start < 0 || start >= w.size()) {
        continue;
      }
      List<String> args = new ArrayList<>();
      for (String word : w.subList(start, w.size())) {
        if (OPERATORS.contains(word)) {
          break;
        }
        args.add(word);
      }
      out.add(new Command(b.where() + " (line " + n + ")", args, b.marker().equals("runnable"),
          shown));
    }
    return out;
  }

  /** An inline code span that is a whole command line: `train --config conf/x.conf ...`. */
  private static final java.util.regex.Pattern INLINE = java.util.regex.Pattern.compile(
      "`((?:submit/gradspark )?(?:train|evaluate|predict|export|gradcheck|bench|repeat|sweep"
          + "|report) --[^`]*)`");

  /**
   * The command lines of the docs: in shell blocks, and in inline code spans of the prose (which
   * may wrap lines) unless they show a synopsis (brackets, "...", or a placeholder in capitals).
   */
  static List<Command> allCommands() {
    List<Command> all = new ArrayList<>();
    for (Path page : Docs.all()) {
      for (Docs.Block b : Docs.blocks(page)) {
        if (SHELL.contains(b.language())) {
          all.addAll(commands(b));
        }
      }
      String prose = String.join("\n", Docs.proseLines(page)).replaceAll("\\s*\\n\\s*", " ");
      java.util.regex.Matcher m = INLINE.matcher(prose);
      while (m.find()) {
        String span = m.group(1);
        if (span.contains("[") || span.contains("...") || span.matches(".*\\b[A-Z]+\\b.*")) {
          continue;
        }
        List<String> w = words(span.replaceFirst("^submit/gradspark ", ""));
        all.add(new Command(page + ": `" + span + "`", w, false, Set.of(INLINE_SPAN)));
      }
    }
    return all;
  }

  /**
   * Marks a command from an inline code span, which may name options without the command's
   * required ones ("`repeat --trials`"): a missing parameter is then not an error, but every
   * option it names must be one its command has.
   */
  static final String INLINE_SPAN = "<inline>";

  static String checkMention(List<String> args) {
    CommandLine sub = new CommandLine(new Main()).getSubcommands().get(args.get(0));
    if (sub == null) {
      return "no command " + args.get(0);
    }
    List<String> unknown = new ArrayList<>();
    for (String a : args) {
      if (a.startsWith("--") && sub.getCommandSpec().findOption(a.replaceFirst("=.*", "")) == null) {
        unknown.add(a);
      }
    }
    return unknown.isEmpty() ? "" : args.get(0) + " has no option " + unknown;
  }

  /** What is wrong with a command line, or "" when it parses and names what exists. */
  static String check(List<String> args) {
    return check(args, Set.of());
  }

  static String check(List<String> args, Set<String> shown) {
    CommandLine.ParseResult parsed;
    try {
      parsed = new CommandLine(new Main()).parseArgs(args.toArray(String[]::new));
    } catch (CommandLine.MissingParameterException e) {
      return shown.contains(INLINE_SPAN) ? checkMention(args) : e.getMessage();
    } catch (CommandLine.ParameterException e) {
      return e.getMessage();
    }
    if (!parsed.hasSubcommand()) {
      return "no command";
    }
    CommandLine.ParseResult sub = parsed.subcommand();
    List<String> wrong = new ArrayList<>();
    for (CommandLine.Model.OptionSpec o : sub.matchedOptions()) {
      for (String value : o.stringValues()) {
        switch (o.longestName()) {
          case "--config", "--baseline" -> {
            if (!Files.isRegularFile(Path.of(value)) && !shown.contains(value)) {
              wrong.add(o.longestName() + " " + value + ": no such file");
            }
          }
          case "--set", "--grid" -> {
            String key = value.substring(0, Math.max(0, value.indexOf('='))).trim();
            if (!REFERENCE.hasPath(key)
                || REFERENCE.getValue(key).valueType() == ConfigValueType.OBJECT) {
              wrong.add(o.longestName() + " " + value + ": " + key
                  + " is not a setting of reference.conf");
            }
          }
          default -> { }
        }
      }
    }
    return String.join("; ", wrong);
  }

  @Test
  void everyCommandOfTheDocsParsesAndNamesFilesAndKeysThatExist() {
    List<Command> commands = allCommands();
    List<String> wrong = new ArrayList<>();
    Set<String> used = new TreeSet<>();
    for (Command c : commands) {
      String problem = check(c.args(), c.shown());
      used.add(c.args().get(0));
      if (!problem.isEmpty()) {
        wrong.add(c.where() + ": gradspark " + String.join(" ", c.args()) + "\n  " + problem);
      }
    }
    System.out.println(commands.size() + " command lines of the docs parsed; commands shown: "
        + used);
    assertEquals(List.of(), wrong, String.join("\n", wrong));
    assertTrue(commands.size() >= 30, "the docs' commands are found: " + commands.size());
    assertTrue(used.containsAll(Set.of("train", "evaluate", "predict", "export", "gradcheck",
        "bench", "repeat", "sweep", "report")), "every command is shown somewhere: " + used);
  }

  @Test
  void theCheckRefusesUnknownOptionsKeysAndConfigFiles() {
    assertEquals("", check(List.of("train", "--config", "conf/mnist.conf", "--set",
        "training.epochs=2")));
    assertTrue(check(List.of("train", "--config", "conf/mnist.conf", "--epochs", "2"))
        .contains("--epochs"));
    assertTrue(check(List.of("train", "--config", "conf/mnist.conf", "--set",
        "training.epoch=2")).contains("training.epoch"));
    assertTrue(check(List.of("train", "--config", "conf/mnist.conf", "--set", "data=5"))
        .contains("data"));
    assertTrue(check(List.of("train", "--config", "conf/nope.conf")).contains("no such file"));
    assertEquals("", check(List.of("train", "--config", "gc.conf"), Set.of("gc.conf")));
    assertEquals("", check(List.of("repeat", "--trials"), Set.of(INLINE_SPAN)));
    assertTrue(check(List.of("repeat", "--trails"), Set.of(INLINE_SPAN)).contains("--trails"));
    assertTrue(check(List.of("repeat", "--trials"), Set.of()).contains("--trials"));
    assertTrue(check(List.of("sweep", "--config", "conf/mnist.conf", "--grid",
        "optimizer.rate=0.1,0.2")).contains("optimizer.rate"));
    assertEquals(List.of("train", "--set", "a=b c", "--out", "x"),
        words("train --set 'a=b c' --out x   # a comment"));
    Docs.Block block = new Docs.Block(Path.of("x.md"), 1, "bash",
        "JAVA_OPTS=-Xmx1g submit/gradspark train --config conf/mnist.conf \\\n  --set a=1 | tee log\n"
            + "spark-submit --class io.gradspark.cli.Main --master yarn \\\n"
            + "  target/gradspark-0.1.0-SNAPSHOT.jar train --config c.conf\n", "");
    List<Command> found = commands(block);
    assertEquals(2, found.size());
    assertEquals(Set.of(), found.get(0).shown());
    assertEquals(Set.of("gc.conf"), commands(new Docs.Block(Path.of("x.md"), 1, "", "$ cat gc.conf\n"
        + "a = 1\n$ submit/gradspark gradcheck --config gc.conf\n", "")).get(0).shown());
    assertEquals(List.of("train", "--config", "conf/mnist.conf", "--set", "a=1"),
        found.get(0).args());
    assertEquals(List.of("train", "--config", "c.conf"), found.get(1).args());
  }

  @Test
  void everyKeyOfAHoconBlockIsASetting() {
    List<String> wrong = new ArrayList<>();
    int keys = 0;
    for (Path page : Docs.all()) {
      for (Docs.Block b : Docs.blocks(page)) {
        if (!b.language().equals("hocon")) {
          continue;
        }
        for (var e : ConfigFactory.parseString(b.text()).entrySet()) {
          keys++;
          if (!REFERENCE.hasPath(e.getKey())) {
            wrong.add(b.where() + ": " + e.getKey());
          }
        }
      }
    }
    System.out.println(keys + " keys of hocon blocks checked against reference.conf");
    assertEquals(List.of(), wrong, "keys reference.conf does not declare");
  }

  @Test
  void theRunnableBlocksRunAndTheirSummaryHasOnlyDocumentedFields() throws IOException {
    List<Command> runnable = allCommands().stream().filter(Command::runnable).toList();
    assertTrue(runnable.size() >= 2 && runnable.size() <= 6, "a few cheap runnable commands: "
        + runnable.size());
    for (Command c : runnable) {
      List<String> args = c.args().stream()
          .map(a -> a.startsWith("runs/") ? tmp.resolve(a).toString() : a).toList();
      CliRun r = CliRun.run(args.toArray(String[]::new));
      assertEquals(0, r.exitCode(), c.where() + ": " + r.err());
    }
    String page = Docs.read(Docs.PAGES.resolve("getting-started.md"));
    List<Path> summaries;
    try (Stream<Path> s = Files.walk(tmp)) {
      summaries = s.filter(p -> p.getFileName().toString().equals("summary.json")).toList();
    }
    assertTrue(!summaries.isEmpty(), "a runnable block trains");
    List<String> undocumented = new ArrayList<>();
    for (Path summary : summaries) {
      new ObjectMapper().readTree(summary.toFile()).fieldNames().forEachRemaining(f -> {
        if (!page.contains("`" + f + "`")) {
          undocumented.add(f);
        }
      });
    }
    assertEquals(List.of(), undocumented, "summary.json fields getting-started.md does not list");
  }
}
