package io.gradspark;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A length of training written as settings write it: "N epochs", "N steps" (a bare N means
 * epochs) or "off". At most one of the two counts is > 0; both 0 is off.
 */
public record Span(int epochs, int steps) {
  public static final Span OFF = new Span(0, 0);
  private static final Pattern SPAN = Pattern.compile("(\\d+)\\s*(epochs?|steps?)?");

  public Span {
    if (epochs < 0 || steps < 0 || epochs > 0 && steps > 0) {
      throw new IllegalArgumentException("a span is N epochs or N steps, not " + epochs
          + " epochs and " + steps + " steps");
    }
  }

  /** Parses text; refuses anything else with "{what} 'text' is not ..." and the example. */
  public static Span parse(String text, String what, String example) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.equals("off") || t.equals("0")) {
      return OFF;
    }
    Matcher m = SPAN.matcher(t);
    if (!m.matches() || m.group(1).length() > 9 || Integer.parseInt(m.group(1)) < 1) {
      throw new GradsparkException(what + " '" + text + "' is not \"N epochs\", \"N steps\" or "
          + "\"off\"", "e.g. " + example);
    }
    int n = Integer.parseInt(m.group(1));
    boolean isSteps = m.group(2) != null && m.group(2).startsWith("step");
    return new Span(isSteps ? 0 : n, isSteps ? n : 0);
  }

  public boolean off() {
    return epochs == 0 && steps == 0;
  }
}
