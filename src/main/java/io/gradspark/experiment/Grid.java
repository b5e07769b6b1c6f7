package io.gradspark.experiment;

import io.gradspark.GradsparkException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The grid of a sweep: settings with a list of values each, and their cartesian product, each point
 * a list of {@code --set} overrides. Values are HOCON like {@code --set} values; a list value holds
 * commas itself, so values are separated by {@code ;} when the argument has one, otherwise by the
 * commas outside brackets, braces and quotes: {@code model.layers=[2,3,2];[2,10,2]} and
 * {@code model.layers=[2,3,2],[2,10,2]} are the same two values.
 */
public final class Grid {
  /** One swept setting and its values, in the order given. */
  public record Axis(String key, List<String> values) {}

  private final List<Axis> axes;

  private Grid(List<Axis> axes) {
    this.axes = List.copyOf(axes);
  }

  public List<Axis> axes() {
    return axes;
  }

  /** Parses the --grid arguments; refuses a missing key or value, an empty value, a repeated key. */
  public static Grid parse(List<String> args) {
    if (args == null || args.isEmpty()) {
      throw new GradsparkException("sweep needs at least one --grid key=v1,v2,...",
          "e.g. --grid optimizer.learning-rate=0.01,0.1,1");
    }
    List<Axis> axes = new ArrayList<>();
    Set<String> keys = new HashSet<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      String key = eq < 0 ? "" : arg.substring(0, eq).trim();
      if (key.isEmpty()) {
        throw new GradsparkException("--grid '" + arg + "' is not key=v1,v2,...",
            "e.g. --grid optimizer.learning-rate=0.01,0.1,1 or --grid "
                + "\"model.layers=[2,3,2];[2,10,2]\"");
      }
      if (!keys.add(key)) {
        throw new GradsparkException("--grid gives " + key + " twice",
            "list all its values in one --grid " + key + "=v1,v2,...");
      }
      List<String> values = split(arg.substring(eq + 1));
      for (String v : values) {
        if (v.isEmpty()) {
          throw new GradsparkException("--grid '" + arg + "' has an empty value",
              "separate values with , or ; and nothing between two separators");
        }
      }
      axes.add(new Axis(key, values));
    }
    return new Grid(axes);
  }

  /** Splits on ';' when there is one, else on commas at bracket depth 0 outside quotes. */
  public static List<String> split(String values) {
    List<String> out = new ArrayList<>();
    if (values.indexOf(';') >= 0) {
      for (String v : values.split(";", -1)) {
        out.add(v.trim());
      }
      return out;
    }
    int depth = 0;
    boolean quoted = false;
    StringBuilder cur = new StringBuilder();
    for (int i = 0; i < values.length(); i++) {
      char c = values.charAt(i);
      if (c == '"') {
        quoted = !quoted;
      } else if (!quoted && (c == '[' || c == '{')) {
        depth++;
      } else if (!quoted && (c == ']' || c == '}')) {
        depth--;
      }
      if (c == ',' && depth == 0 && !quoted) {
        out.add(cur.toString().trim());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString().trim());
    return out;
  }

  /** Number of points of the cartesian product. */
  public int size() {
    int n = 1;
    for (Axis a : axes) {
      n *= a.values().size();
    }
    return n;
  }

  /** The values of point p (the first axis varies slowest), one per axis. */
  public List<String> point(int p) {
    String[] v = new String[axes.size()];
    int rest = p;
    for (int a = axes.size() - 1; a >= 0; a--) {
      List<String> values = axes.get(a).values();
      v[a] = values.get(rest % values.size());
      rest /= values.size();
    }
    return List.of(v);
  }

  /** Point p as --set overrides. */
  public List<String> sets(int p) {
    List<String> values = point(p);
    List<String> sets = new ArrayList<>();
    for (int a = 0; a < axes.size(); a++) {
      sets.add(axes.get(a).key() + "=" + values.get(a));
    }
    return sets;
  }

  /**
   * How to place one axis's values on a chart's x axis: numbers as they are (log when they are all
   * positive and span more than two decades, e.g. learning rates), lists of numbers that differ in
   * one element by that element (hidden units in [2,h,2]), anything else by index with the values
   * as labels.
   */
  public record XAxis(String title, double[] x, boolean log, List<String> categories) {}

  public static XAxis xAxis(Axis axis) {
    List<String> values = axis.values();
    double[] numbers = numbers(values);
    String title = axis.key();
    if (numbers == null) {
      List<double[]> lists = new ArrayList<>();
      for (String v : values) {
        double[] l = numericList(v);
        if (l == null || !lists.isEmpty() && l.length != lists.get(0).length) {
          lists = null;
          break;
        }
        lists.add(l);
      }
      int varying = -1;
      if (lists != null && values.size() > 1) {
        for (int j = 0; j < lists.get(0).length; j++) {
          for (double[] l : lists) {
            if (l[j] != lists.get(0)[j]) {
              varying = varying == -1 || varying == j ? j : -2;
              break;
            }
          }
        }
      }
      if (varying >= 0) {
        numbers = new double[values.size()];
        for (int i = 0; i < numbers.length; i++) {
          numbers[i] = lists.get(i)[varying];
        }
        title = axis.key() + "[" + varying + "]";
      }
    }
    if (numbers == null) {
      double[] index = new double[values.size()];
      for (int i = 0; i < index.length; i++) {
        index[i] = i;
      }
      return new XAxis(title, index, false, values);
    }
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (double d : numbers) {
      min = Math.min(min, d);
      max = Math.max(max, d);
    }
    return new XAxis(title, numbers, min > 0 && max / min > 100, null);
  }

  /** All values as numbers, or null if one is not a finite number. */
  private static double[] numbers(List<String> values) {
    double[] d = new double[values.size()];
    for (int i = 0; i < d.length; i++) {
      Double v = number(values.get(i));
      if (v == null) {
        return null;
      }
      d[i] = v;
    }
    return d;
  }

  /** "[a, b, c]" of numbers as an array, else null. */
  private static double[] numericList(String v) {
    String t = v.trim();
    if (!t.startsWith("[") || !t.endsWith("]")) {
      return null;
    }
    String inner = t.substring(1, t.length() - 1).trim();
    if (inner.isEmpty()) {
      return null;
    }
    String[] parts = inner.split(",");
    double[] d = new double[parts.length];
    for (int i = 0; i < parts.length; i++) {
      Double n = number(parts[i]);
      if (n == null) {
        return null;
      }
      d[i] = n;
    }
    return d;
  }

  private static Double number(String s) {
    try {
      double d = Double.parseDouble(s.trim());
      return Double.isFinite(d) ? d : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
