package io.gradspark.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import io.gradspark.GradsparkException;
import io.gradspark.eval.EpochStats;
import io.gradspark.fs.HadoopFiles;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A run's output files: the per-epoch history (CSV for spreadsheets and pandas, JSON for programs and
 * for resuming) and JSON documents such as summary.json. Every file is written atomically, so a run
 * killed mid-write leaves the previous complete version, never a truncated one.
 *
 * <p>JSON has no NaN or infinity, so an unmeasured or non-finite metric is written as {@code null} (an
 * empty cell in CSV) and read back as NaN.
 */
public final class RunFiles {
  /** History columns and JSON keys, in {@link EpochStats} component order. */
  public static final List<String> HISTORY_COLUMNS = List.of(
      "epoch", "steps", "train_loss", "val_loss", "val_accuracy", "test_loss", "test_accuracy",
      "seconds", "samples_per_second");

  private static final ObjectMapper JSON = mapper();
  private static final String HISTORY_HINT =
      "the file should be the history.json a gradspark run wrote; restore it or start the run afresh";

  private RunFiles() {}

  /** Writes the history as CSV with a header row of {@link #HISTORY_COLUMNS}; NaN is an empty cell. */
  public static void writeHistoryCsv(Path file, List<EpochStats> history) {
    writeHistoryCsv(HadoopFiles.of(file), history);
  }

  /** {@link #writeHistoryCsv(Path, List)} to a local path or a Hadoop one (a URI). */
  public static void writeHistoryCsv(String file, List<EpochStats> history) {
    AtomicFiles.write(file, "history CSV", out -> {
      Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
      w.write(String.join(",", HISTORY_COLUMNS) + "\n");
      for (EpochStats s : history) {
        StringBuilder line = new StringBuilder();
        for (Object v : values(s)) {
          line.append(line.length() == 0 ? "" : ",");
          line.append(v instanceof Double d && d.isNaN() ? "" : String.valueOf(v));
        }
        w.write(line.append('\n').toString());
      }
      w.flush();
    });
  }

  /** Writes the history as a JSON array of objects keyed by {@link #HISTORY_COLUMNS}. */
  public static void writeHistoryJson(Path file, List<EpochStats> history) {
    writeHistoryJson(HadoopFiles.of(file), history);
  }

  /** {@link #writeHistoryJson(Path, List)} to a local path or a Hadoop one (a URI). */
  public static void writeHistoryJson(String file, List<EpochStats> history) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (EpochStats s : history) {
      Map<String, Object> row = new LinkedHashMap<>();
      Object[] v = values(s);
      for (int i = 0; i < v.length; i++) {
        row.put(HISTORY_COLUMNS.get(i), v[i]);
      }
      rows.add(row);
    }
    writeJson(file, rows);
  }

  /**
   * Writes {@code value} (maps, lists, records, numbers, strings) as pretty-printed JSON; NaN and
   * infinite numbers become null.
   */
  public static void writeJson(Path file, Object value) {
    writeJson(HadoopFiles.of(file), value);
  }

  /** {@link #writeJson(Path, Object)} to a local path or a Hadoop one (a URI). */
  public static void writeJson(String file, Object value) {
    AtomicFiles.write(file, "JSON file", out -> {
      JSON.writeValue(out, value);
      out.write('\n');
    });
  }

  /** {@code value} as the pretty-printed JSON {@link #writeJson} writes, for logs and messages. */
  public static String toJson(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot express " + value.getClass().getName() + " as JSON", e);
    }
  }

  /**
   * Reads a history written by {@link #writeHistoryJson}: every object must have exactly the history
   * keys, integer epoch and steps, and numbers or null (read as NaN) for the metrics.
   */
  public static List<EpochStats> readHistoryJson(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new GradsparkException("Could not read history file " + file + ": " + e,
          "check that the file exists and is readable", e);
    }
    JsonNode root;
    try {
      root = JSON.reader()
          .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .readTree(bytes);
    } catch (JsonProcessingException e) {
      String at = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
      throw new GradsparkException(
          "History file " + file + " is not valid JSON: " + e.getOriginalMessage() + at, HISTORY_HINT, e);
    } catch (IOException e) {
      throw new GradsparkException("Could not parse history file " + file + ": " + e, HISTORY_HINT, e);
    }
    if (root == null || !root.isArray()) {
      throw badHistory(file, "the top level is " + kind(root) + " but expected an array of epochs");
    }
    List<EpochStats> history = new ArrayList<>();
    for (int i = 0; i < root.size(); i++) {
      JsonNode row = root.get(i);
      String where = "element " + i;
      if (!row.isObject()) {
        throw badHistory(file, where + " is " + kind(row) + " but expected an object");
      }
      Set<String> keys = new HashSet<>();
      for (Iterator<String> it = row.fieldNames(); it.hasNext(); ) {
        keys.add(it.next());
      }
      if (!keys.equals(new HashSet<>(HISTORY_COLUMNS))) {
        throw badHistory(file, where + " has keys " + keys + " but expected " + HISTORY_COLUMNS);
      }
      double[] m = new double[HISTORY_COLUMNS.size()];
      for (int k = 2; k < m.length; k++) {
        JsonNode v = row.get(HISTORY_COLUMNS.get(k));
        if (!v.isNull() && !v.isNumber()) {
          throw badHistory(file, where + " has " + HISTORY_COLUMNS.get(k) + " = " + v
              + " but expected a number or null");
        }
        m[k] = v.isNull() ? Double.NaN : v.asDouble();
      }
      history.add(new EpochStats(integer(file, row, where, "epoch"), integer(file, row, where, "steps"),
          m[2], m[3], m[4], m[5], m[6], m[7], m[8]));
    }
    return history;
  }

  private static Object[] values(EpochStats s) {
    return new Object[] {
      s.epoch(), s.steps(), s.trainLoss(), s.valLoss(), s.valAccuracy(), s.testLoss(), s.testAccuracy(),
      s.seconds(), s.samplesPerSecond()
    };
  }

  private static int integer(Path file, JsonNode row, String where, String key) {
    JsonNode v = row.get(key);
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
      throw badHistory(file, where + " has " + key + " = " + v + " but expected a non-negative integer");
    }
    return v.intValue();
  }

  private static String kind(JsonNode n) {
    return n == null || n.isMissingNode() ? "empty" : n.getNodeType().toString().toLowerCase();
  }

  private static GradsparkException badHistory(Path file, String what) {
    return new GradsparkException("History file " + file + ": " + what, HISTORY_HINT);
  }

  private static ObjectMapper mapper() {
    StdSerializer<Double> finite = new StdSerializer<>(Double.class) {
      @Override
      public void serialize(Double v, JsonGenerator g, SerializerProvider p) throws IOException {
        if (Double.isFinite(v)) {
          g.writeNumber(v);
        } else {
          g.writeNull();
        }
      }
    };
    StdSerializer<Float> finiteFloat = new StdSerializer<>(Float.class) {
      @Override
      public void serialize(Float v, JsonGenerator g, SerializerProvider p) throws IOException {
        finite.serialize(v.doubleValue(), g, p);
      }
    };
    StdSerializer<double[]> finiteArray = new StdSerializer<>(double[].class) {
      @Override
      public void serialize(double[] v, JsonGenerator g, SerializerProvider p) throws IOException {
        g.writeStartArray(v, v.length);
        for (double d : v) {
          finite.serialize(d, g, p);
        }
        g.writeEndArray();
      }
    };
    SimpleModule nonFinite = new SimpleModule("non-finite-as-null");
    nonFinite.addSerializer(Double.class, finite);
    nonFinite.addSerializer(Double.TYPE, finite);
    nonFinite.addSerializer(Float.class, finiteFloat);
    nonFinite.addSerializer(Float.TYPE, finiteFloat);
    nonFinite.addSerializer(double[].class, finiteArray);
    // The stream belongs to AtomicFiles, which must still force it to disk after Jackson is done.
    JsonFactory factory = JsonFactory.builder().disable(StreamWriteFeature.AUTO_CLOSE_TARGET).build();
    return new ObjectMapper(factory)
        .registerModule(nonFinite)
        .enable(SerializationFeature.INDENT_OUTPUT)
        .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
  }
}
