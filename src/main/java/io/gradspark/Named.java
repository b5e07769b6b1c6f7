package io.gradspark;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A choice known by the name users write in settings, e.g. {@code "leaky-relu"}. Parsing ignores case
 * and surrounding blanks and reads {@code _} as {@code -}; an unknown name is refused with the allowed
 * names.
 */
public interface Named {
  /** The spelling in settings and output, lower case with dashes. */
  String configName();

  /** Other accepted spellings, e.g. "xavier" for "xavier-uniform"; none by default. */
  default List<String> aliases() {
    return List.of();
  }

  /** What the choice is for, shown in the list of allowed names; empty by default. */
  default String note() {
    return "";
  }

  /**
   * The value whose config name or alias is {@code text}. Refuses an unknown text with "Unknown
   * {what} '{text}'" and a hint listing every allowed name.
   */
  static <T extends Named> T parse(T[] values, String text, String what) {
    String n = text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    List<String> allowed = new ArrayList<>();
    for (T v : values) {
      if (v.configName().equals(n) || v.aliases().contains(n)) {
        return v;
      }
      String alias = v.aliases().isEmpty() ? "" : " (alias " + String.join(", ", v.aliases()) + ")";
      String note = v.note().isEmpty() ? "" : " (" + v.note() + ")";
      allowed.add(v.configName() + alias + note);
    }
    throw new GradsparkException(
        "Unknown " + what + " '" + text + "'", "use one of " + String.join(", ", allowed));
  }

  /**
   * The "did you mean" of a refusal: the name among {@code names} nearest to {@code text} by
   * edit (Levenshtein) distance, the first in {@code names} on a tie, if it is at most
   * {@code within} edits away; empty otherwise.
   */
  static Optional<String> nearest(String text, Iterable<String> names, int within) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : names) {
      int d = distance(text, k);
      if (d < bestDistance) {
        bestDistance = d;
        best = k;
      }
    }
    return bestDistance <= within ? Optional.of(best) : Optional.empty();
  }

  /** Levenshtein distance. */
  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
