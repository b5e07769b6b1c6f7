package io.gradspark.data;

import io.gradspark.Seeds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import io.gradspark.data.TestData.IdSource;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ViewsTest {
  @TempDir Path dir;

  private static List<Integer> ids(RowSource s) {
    RowBlock b = s.load(0, s.rows());
    List<Integer> ids = new ArrayList<>();
    for (int r = 0; r < b.rows(); r++) {
      ids.add((int) b.feature(r, 0));
    }
    return ids;
  }

  @Test
  void rangeRenumbersRows() {
    RowSource s = new MoonsSource(100, 0.1, 1);
    RowSource r = Views.range(s, 10, 30);
    assertEquals(20, r.rows());
    assertEquals(2, r.cols());
    TestData.assertSameRows(s.load(0, 100), 10, 20, r.load(0, 20));
    TestData.assertSameRows(s.load(0, 100), 15, 2, r.load(5, 7));
    assertTrue(r.describe().startsWith("rows 10..30 of two moons"), r.describe());
    assertThrows(GradsparkException.class, () -> Views.range(s, -1, 5));
    assertThrows(GradsparkException.class, () -> Views.range(s, 5, 5));
    assertThrows(GradsparkException.class, () -> Views.range(s, 90, 101));
    assertThrows(IllegalArgumentException.class, () -> r.load(0, 21));
  }

  @Test
  void rangesPartitionTrainAndValidation() {
    RowSource s = new IdSource(60);
    List<Integer> all = new ArrayList<>(ids(Views.range(s, 0, 50)));
    all.addAll(ids(Views.range(s, 50, 60)));
    assertEquals(ids(s), all);
  }

  @Test
  void randomSplitPartitionsExactly() {
    int n = 1000;
    int heldOut = 137;
    RowSource s = new IdSource(n);
    RowSource held = Views.randomSplit(s, heldOut, 9, true);
    RowSource rest = Views.randomSplit(s, heldOut, 9, false);
    assertEquals(heldOut, held.rows());
    assertEquals(n - heldOut, rest.rows());
    List<Integer> h = ids(held);
    List<Integer> k = ids(rest);
    Set<Integer> union = new HashSet<>(h);
    union.addAll(k);
    assertEquals(n, union.size());
    assertEquals(heldOut, new HashSet<>(h).size());
    assertEquals(h.stream().sorted().toList(), h);
    assertEquals(k.stream().sorted().toList(), k);
    Permutation p = new Permutation(n, Seeds.mix(9));
    for (int id : h) {
      assertTrue(p.apply(id) >= n - heldOut);
    }
    for (int[] r : new int[][] {{0, 1}, {40, 100}, {136, 137}}) {
      assertEquals(h.subList(r[0], r[1]), ids(Views.range(held, r[0], r[1])));
    }
    assertEquals(k.subList(500, 863), ids(Views.range(rest, 500, 863)));
    assertEquals(h, ids(Views.randomSplit(s, heldOut, 9, true)));
    assertNotEquals(h, ids(Views.randomSplit(s, heldOut, 10, true)));
    assertTrue(held.describe().contains("137 held-out rows"), held.describe());
  }

  @Test
  void randomSplitRefusesEmptySides() {
    RowSource s = new IdSource(10);
    assertThrows(GradsparkException.class, () -> Views.randomSplit(s, 0, 1, true));
    assertThrows(GradsparkException.class, () -> Views.randomSplit(s, 10, 1, false));
    assertEquals(9, Views.randomSplit(s, 9, 1, true).rows());
  }

  @Test
  void oneVsAllMarksOneClass() {
    RowSource s = Views.oneVsAll(new IdSource(20), 3);
    RowBlock b = s.load(0, 20);
    for (int r = 0; r < 20; r++) {
      assertEquals(r == 3 ? 1.0 : 0.0, b.label(r));
      assertEquals(r, b.feature(r, 0));
    }
    assertThrows(GradsparkException.class, () -> Views.oneVsAll(s, -1));
  }

  @Test
  void scaledKeepsBytesAsBytes() {
    Path img = TestData.write(dir, "img", TestData.images(0x803, 3, 2, 2));
    Path lab = TestData.write(dir, "lab", TestData.labels(0x801, 3));
    RowSource raw = new IdxSource(img, lab);
    RowBlock b = Views.scaled(raw, 1 / 255.0).load(0, 3);
    assertTrue(b.isBytes());
    assertEquals(raw.load(0, 3).feature(2, 1) / 255.0, b.feature(2, 1), 1e-15);
    assertEquals(14.0, Views.scaled(new IdSource(10), 2).load(7, 8).feature(0, 0));
    assertThrows(GradsparkException.class, () -> Views.scaled(raw, 0));
    assertThrows(GradsparkException.class, () -> Views.scaled(raw, Double.NaN));
  }

  @Test
  void viewsSerializeSmallAndLoadTheSameRows() throws IOException, ClassNotFoundException {
    Path img = TestData.write(dir, "img", TestData.images(0x803, 300, 10, 10));
    Path lab = TestData.write(dir, "lab", TestData.labels(0x801, 300));
    RowSource inner = Views.scaled(Views.range(new IdxSource(img, lab), 20, 280), 0.5);
    RowSource view = Views.randomSplit(inner, 60, 4, false);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(view);
    }
    assertTrue(bytes.size() < 2000, "serialized size " + bytes.size());
    RowSource copy;
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      copy = (RowSource) in.readObject();
    }
    assertEquals(200, copy.rows());
    TestData.assertSameRows(view.load(0, 200), 0, 200, copy.load(0, 200));
  }
}
