package io.gradspark;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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
}
