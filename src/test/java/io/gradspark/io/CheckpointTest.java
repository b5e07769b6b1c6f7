package io.gradspark.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradspark.GradsparkException;
import io.gradspark.data.MoonsSource;
import io.gradspark.data.RowBlock;
import io.gradspark.eval.EpochStats;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.Adagrad;
import io.gradspark.optim.Adam;
import io.gradspark.optim.MomentumSgd;
import io.gradspark.optim.Optimizer;
import io.gradspark.optim.OptimizerState;
import io.gradspark.optim.RmsProp;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.LocalEngine;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingListener;
import io.gradspark.train.TrainingState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoint files round-trip the whole state, and resuming from one ends bit-identical. */
class CheckpointTest {
  private static final Network NET = new Network(new int[] {2, 16, 2}, List.of(Activation.TANH),
      Head.SOFTMAX_CROSS_ENTROPY);

  @TempDir
  Path tmp;

  private static MomentumSgd optimizer() {
    return optimizer(new LearningRateSchedule.Cosine(0.1, 0.001));
  }

  private static MomentumSgd optimizer(LearningRateSchedule schedule) {
    return new MomentumSgd(MomentumSgd.Form.NESTEROV, 0.9, 1e-4, schedule, NET.weightMask());
  }

  /** A learning rate high enough that the validation loss stops improving within a few epochs. */
  private static MomentumSgd hot() {
    return new MomentumSgd(MomentumSgd.Form.HEAVY_BALL, 0.9, 0,
        new LearningRateSchedule.Constant(2.0), NET.weightMask());
  }

  private static LocalEngine engine() {
    MoonsSource moons = new MoonsSource(500, 0.1, 3);
    RowBlock data = moons.load(0, 500);
    return new LocalEngine(NET, new BatchSchedule(400, 32, 5, true, false),
        RowBlock.ofDoubles(copy(data, 0, 400), 400, 2, labels(data, 0, 400)),
        RowBlock.ofDoubles(copy(data, 400, 500), 100, 2, labels(data, 400, 500)), null);
  }

  private static double[] copy(RowBlock b, int from, int to) {
    double[] x = new double[(to - from) * 2];
    for (int r = from; r < to; r++) {
      b.copyRow(r, x, (r - from) * 2);
    }
    return x;
  }

  private static double[] labels(RowBlock b, int from, int to) {
    double[] y = new double[to - from];
    for (int r = from; r < to; r++) {
      y[r - from] = b.label(r);
    }
    return y;
  }

  /** Every field of a loaded state equals the saved one, arrays bit for bit. */
  private static void assertSameState(TrainingState saved, TrainingState loaded, String what) {
    assertEquals(saved.epoch(), loaded.epoch(), what);
    assertEquals(saved.step(), loaded.step(), what);
    assertEquals(saved.epochLossSum(), loaded.epochLossSum(), 0.0, what);
    assertEquals(saved.epochRows(), loaded.epochRows(), what);
    assertEquals(saved.epochSeconds(), loaded.epochSeconds(), 0.0, what);
    assertEquals(saved.history(), loaded.history(), what);
    assertEquals(saved.trainSeconds(), loaded.trainSeconds(), 0.0, what);
    assertEquals(saved.steps(), loaded.steps(), what);
    assertArrayEquals(saved.velocity(), loaded.velocity(), what + ": velocity");
    OptimizerState a = saved.optimizer() == null ? OptimizerState.sgd(new double[NET.numParams()])
        : saved.optimizer();
    OptimizerState b = loaded.optimizer();
    assertEquals(a.method(), b.method(), what);
    assertEquals(a.steps(), b.steps(), what);
    assertEquals(a.plateau(), b.plateau(), what);
    for (String name : a.method().buffers()) {
      assertArrayEquals(a.buffer(name), b.buffer(name), what + ": " + name);
    }
    assertEquals(saved.best().valLoss(), loaded.best().valLoss(), 0.0, what);
    assertEquals(saved.best().epoch(), loaded.best().epoch(), what);
    assertEquals(saved.best().sinceBest(), loaded.best().sinceBest(), what);
    assertArrayEquals(saved.best().params(), loaded.best().params(), what + ": best params");
  }

  /** Resumes from every recorded checkpoint and checks that each run ends exactly as the full one. */
  private static void assertEveryResumeEndsAsTheFullRun(CheckpointRecorder rec, Trainer trainer,
      Trainer.Result full, double[] fullParams) {
    for (int i = 0; i < rec.files.size(); i++) {
      Path f = rec.files.get(i);
      CheckpointFile.Loaded l = CheckpointFile.load(f, NET.numParams());
      assertSameState(rec.states.get(i), l.state(), f.getFileName().toString());
      assertArrayEquals(rec.params.get(i), l.params(), f.getFileName() + ": params");
      double[] params = l.params();
      // the same Trainer (and optimizer) as the full run: fit must take the velocity from the state
      Trainer.Result resumed = trainer.fit(engine(), params, l.state(), Trainer.Checkpoints.NONE);
      assertArrayEquals(fullParams, params, "resumed from " + f.getFileName());
      assertEquals(full.steps(), resumed.steps());
      assertEquals(full.keptEpoch(), resumed.keptEpoch());
      assertEquals(full.history().size(), resumed.history().size());
      for (int e = 0; e < full.history().size(); e++) {
        EpochStats a = full.history().get(e);
        EpochStats b = resumed.history().get(e);
        assertEquals(a.trainLoss(), b.trainLoss(), 0.0, "train loss of epoch " + (e + 1));
        assertEquals(a.valLoss(), b.valLoss(), 0.0);
      }
      assertEquals(full.validation().meanLoss(), resumed.validation().meanLoss(), 0.0);
    }
  }

  @Test
  void resumingFromEveryCheckpointEndsBitIdentical() {
    double[] uninterrupted = NET.initialParameters(Initializer.XAVIER_UNIFORM, 1);
    CheckpointRecorder rec = new CheckpointRecorder(tmp);
    Trainer trainer = new Trainer(optimizer(), 4, TrainingListener.NONE);
    Trainer.Result full = trainer.fit(engine(), uninterrupted, TrainingState.START, rec);
    assertEquals(7, rec.files.size(), "mid-epoch in each of 4 epochs + after epochs 1..3");
    assertEveryResumeEndsAsTheFullRun(rec, trainer, full, uninterrupted);
    System.out.println("resume: all " + rec.files.size() + " checkpoints end bit-identical");
  }

  @Test
  void resumingWithAWarmupAndTheScalingRuleEndsBitIdentical() {
    // checkpoints after step 5 fall inside the 9-step warmup of epoch 1 and after it in the
    // others: the resumed runs must find the warmup's rates from the saved step count alone
    double[] uninterrupted = NET.initialParameters(Initializer.XAVIER_UNIFORM, 1);
    CheckpointRecorder rec = new CheckpointRecorder(tmp);
    Trainer trainer = new Trainer(optimizer(new LearningRateSchedule.Warmup(
        LearningRateSchedule.linearScaling(new LearningRateSchedule.Cosine(0.05, 0.001), 32, 16),
        9, 0)), 4, TrainingListener.NONE);
    Trainer.Result full = trainer.fit(engine(), uninterrupted, TrainingState.START, rec);
    assertEquals(7, rec.files.size(), "mid-epoch in each of 4 epochs + after epochs 1..3");
    assertEveryResumeEndsAsTheFullRun(rec, trainer, full, uninterrupted);
    System.out.println("resume with warmup: all " + rec.files.size()
        + " checkpoints end bit-identical");
  }

  /** Each method with decay and clipping, at a cosine schedule. */
  private static Optimizer optimizer(Optimizer.Method m, LearningRateSchedule lr) {
    boolean[] mask = NET.weightMask();
    return switch (m) {
      case SGD -> new MomentumSgd(MomentumSgd.Form.NESTEROV, 0.9, 1e-4, 1.0, lr, mask);
      case ADAM, ADAMW -> new Adam(m == Optimizer.Method.ADAMW, 0.9, 0.999, 1e-8, 1e-3, 1.0, lr,
          mask);
      case RMSPROP -> new RmsProp(0.99, 1e-8, 1e-4, 1.0, lr, mask);
      case ADAGRAD -> new Adagrad(1e-10, 1e-4, 1.0, lr, mask);
    };
  }

  @Test
  void resumingEveryOptimizerFromEveryCheckpointEndsBitIdentical() {
    for (Optimizer.Method m : Optimizer.Method.values()) {
      double[] uninterrupted = NET.initialParameters(Initializer.XAVIER_UNIFORM, 1);
      CheckpointRecorder rec = new CheckpointRecorder(tmp);
      Trainer trainer = new Trainer(optimizer(m, new LearningRateSchedule.Cosine(
          m == Optimizer.Method.SGD || m == Optimizer.Method.ADAGRAD ? 0.1 : 0.01, 0.001)), 4,
          TrainingListener.NONE);
      Trainer.Result full = trainer.fit(engine(), uninterrupted, TrainingState.START, rec);
      assertEquals(7, rec.files.size());
      OptimizerState last = rec.states.get(rec.states.size() - 1).optimizer();
      assertEquals(m, last.method());
      assertTrue(last.steps() > 0, "the step count is saved");
      assertEveryResumeEndsAsTheFullRun(rec, trainer, full, uninterrupted);
      System.out.printf("resume %s: all %d checkpoints end bit-identical (val loss %.4f)%n",
          m.configName(), rec.files.size(), full.validation().meanLoss());
    }
  }

  @Test
  void resumingWithAPlateauScheduleEndsBitIdentical() {
    // patience 0 with a 30% threshold: the rate comes down within the run, so
    // resumed runs must carry the plateau record (best loss, bad epochs, reductions)
    for (Optimizer.Method m : List.of(Optimizer.Method.SGD, Optimizer.Method.ADAM)) {
      double[] uninterrupted = NET.initialParameters(Initializer.XAVIER_UNIFORM, 1);
      CheckpointRecorder rec = new CheckpointRecorder(tmp);
      LearningRateSchedule plateau = new LearningRateSchedule.Warmup(
          new LearningRateSchedule.Plateau(m == Optimizer.Method.SGD ? 0.5 : 0.05, 0.5, 0, 0.3,
              0.001), 3, 0);
      Trainer trainer = new Trainer(optimizer(m, plateau), 6, TrainingListener.NONE);
      Trainer.Result full = trainer.fit(engine(), uninterrupted, TrainingState.START, rec);
      int reductions = rec.states.get(rec.states.size() - 1).optimizer().plateau().reductions();
      assertTrue(reductions > 0, "the plateau reduced the rate");
      assertEveryResumeEndsAsTheFullRun(rec, trainer, full, uninterrupted);
      System.out.printf("resume %s with plateau (%d reductions by the last checkpoint): all %d "
          + "checkpoints end bit-identical%n", m.configName(), reductions, rec.files.size());
    }
  }

  @Test
  void aPlateauWithoutValidationDataIsRefused() {
    MoonsSource moons = new MoonsSource(100, 0.1, 3);
    LocalEngine noValidation = new LocalEngine(NET, new BatchSchedule(100, 32, 5, true, false),
        moons.load(0, 100), null, null);
    Trainer trainer = new Trainer(optimizer(Optimizer.Method.ADAM,
        new LearningRateSchedule.Plateau(0.01, 0.5, 0, 0.05, 0)), 2, TrainingListener.NONE);
    GradsparkException e = assertThrows(GradsparkException.class,
        () -> trainer.fit(noValidation, NET.initialParameters(Initializer.XAVIER_UNIFORM, 1)));
    assertTrue(e.getMessage().contains("validation"), e.getMessage());
  }

  @Test
  void aVersionOneCheckpointLoadsAsSgd() throws IOException {
    // a version-1 file: the same arrays (params, velocity, history) and sha, the JSON without
    // the optimizer keys
    double[] params = NET.initialParameters(Initializer.XAVIER_UNIFORM, 1);
    double[] velocity = NET.initialParameters(Initializer.UNIFORM, 2);
    Path f = tmp.resolve("v2.npz");
    CheckpointFile.save(f, TrainingState.builder().at(0, 3).velocity(velocity).build(), params);
    Npz.Contents c = Npz.read(f, java.util.Set.of("params", "velocity", "history"),
        java.util.Set.of("checkpoint.json"));
    ObjectNode d = (ObjectNode) new ObjectMapper().readTree(c.requireExtra("checkpoint.json"));
    d.put("version", 1);
    d.remove(List.of("optimizer", "optimizer_steps", "plateau_best", "plateau_bad_epochs",
        "plateau_reductions"));
    String v1 = d.toString();
    assertTrue(!v1.contains("optimizer") && !v1.contains("plateau"), v1);
    Path old = tmp.resolve("v1.npz");
    Npz.write(old, List.of(c.require("params"), c.require("velocity"), c.require("history")),
        java.util.Map.of("checkpoint.json", v1.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    CheckpointFile.Loaded l = CheckpointFile.load(old, NET.numParams());
    assertEquals(Optimizer.Method.SGD, l.state().optimizer().method());
    assertArrayEquals(velocity, l.state().velocity());
    assertArrayEquals(params, l.params());
    assertEquals(3, l.state().step());
  }

  @Test
  void aSecondFitStartsFromZeroVelocity() {
    double[] first = NET.initialParameters(Initializer.XAVIER_UNIFORM, 1);
    double[] second = first.clone();
    double[] fresh = first.clone();
    Trainer reused = new Trainer(optimizer(), 2, TrainingListener.NONE);
    reused.fit(engine(), first);
    reused.fit(engine(), second);
    new Trainer(optimizer(), 2, TrainingListener.NONE).fit(engine(), fresh);
    assertArrayEquals(fresh, second, "a second fit must not continue the first one's velocity");
  }

  @Test
  void earlyStoppingRestoresTheBestEpochAndResumesToo() {
    double[] params = NET.initialParameters(Initializer.XAVIER_UNIFORM, 1);
    CheckpointRecorder rec = new CheckpointRecorder(tmp);
    Trainer trainer = new Trainer(hot(), 30, TrainingListener.NONE, 2);
    Trainer.Result r = trainer.fit(engine(), params, TrainingState.START, rec);
    assertTrue(r.history().size() < 30, "stopped early after " + r.history().size());
    double best = r.history().stream().mapToDouble(EpochStats::valLoss).min().orElseThrow();
    assertEquals(best, r.history().get(r.keptEpoch() - 1).valLoss(), 0.0);
    assertEquals(best, r.validation().meanLoss(), 0.0, "restored parameters are the best epoch's");
    assertTrue(rec.states.stream().anyMatch(s -> s.best().params() != null
        && Double.isFinite(s.best().valLoss()) && s.best().sinceBest() > 0),
        "some checkpoint holds a best epoch and epochs since it");
    assertEveryResumeEndsAsTheFullRun(rec, trainer, r, params);
  }

  /**
   * Single-byte flips in an entry's data are refused: the entries are stored, and a CRC-32
   * detects every error burst of up to 32 bits, so the bar is all of them, not most. A flip in the
   * zip metadata (names, dates, attributes, directory) may be refused or ignored, but what loads
   * must be exactly what was saved.
   *
   * <p>Every metadata byte is flipped (each may be read by another field's code). Of the entry
   * data, a sample ({@link #flips}): since the CRC catches a flip wherever it lies, what a byte's
   * position can change is only which reader sees the damage first, so the sample covers every
   * field boundary of every entry (an .npy's magic, version, header length, the end of its header
   * and the first values; the first and last bytes of the data) plus a stride through the rest.
   */
  @Test
  void damagedCheckpointsAreRefused() throws IOException {
    double[] params = NET.initialParameters(Initializer.XAVIER_UNIFORM, 1);
    double[] velocity = NET.initialParameters(Initializer.UNIFORM, 2);
    TrainingState at = TrainingState.builder().at(3, 0)
        .done(List.of(new EpochStats(1, 4, 0.5, 0.4, 0.9, Double.NaN, Double.NaN, 1, 400),
            new EpochStats(2, 4, 0.3, 0.35, 0.9, Double.NaN, Double.NaN, 1, 400),
            new EpochStats(3, 4, 0.2, 0.37, 0.9, Double.NaN, Double.NaN, 1, 400)), 3, 12)
        .velocity(velocity)
        .best(new TrainingState.Best(0.35, 2, 1, NET.initialParameters(Initializer.UNIFORM, 3)))
        .build();
    Path f = tmp.resolve("c.npz");
    CheckpointFile.save(f, at, params);
    assertSameState(at, CheckpointFile.load(f, NET.numParams()).state(), "clean");
    byte[] bytes = Files.readAllBytes(f);
    boolean[] data = ZipLayout.entryData(bytes);
    int dataFlips = 0;
    int dataRefused = 0;
    int metaFlips = 0;
    int metaRefused = 0;
    for (int i : flips(bytes, data)) {
      byte[] copy = bytes.clone();
      copy[i] ^= 0x5A;
      Path g = tmp.resolve("bad.npz");
      Files.write(g, copy);
      boolean refused;
      try {
        CheckpointFile.Loaded l = CheckpointFile.load(g, NET.numParams());
        assertSameState(at, l.state(), "a flip at byte " + i + " that loads");
        assertArrayEquals(params, l.params(), "a flip at byte " + i + " that loads");
        refused = false;
      } catch (GradsparkException e) {
        assertTrue(e.getMessage().contains(g.toString()), e.getMessage());
        refused = true;
      }
      if (data[i]) {
        dataFlips++;
        dataRefused += refused ? 1 : 0;
        if (!refused) {
          fail("a flip in entry data at byte " + i + " was not refused");
        }
      } else {
        metaFlips++;
        metaRefused += refused ? 1 : 0;
      }
    }
    Files.write(tmp.resolve("short.npz"), Arrays.copyOf(bytes, bytes.length / 2));
    GradsparkException e = assertThrows(GradsparkException.class,
        () -> CheckpointFile.load(tmp.resolve("short.npz"), NET.numParams()));
    System.out.printf("damaged checkpoints refused: %d of %d flips in entry data, %d of %d in zip"
        + " metadata; truncated: %s%n", dataRefused, dataFlips, metaRefused, metaFlips,
        e.getMessage());
    int entries = 0;
    for (int i = 0; i < data.length; i++) {
      entries += data[i] && (i == 0 || !data[i - 1]) ? 1 : 0;
    }
    assertTrue(entries >= 4 && dataFlips >= 20 * entries, entries + " entries, " + dataFlips
        + " data flips");
    int meta = bytes.length - Arrays.stream(toInts(data)).sum();
    assertTrue(metaFlips > meta / 4 && metaFlips < meta, metaFlips + " of " + meta);
    assertThrows(GradsparkException.class, () -> CheckpointFile.load(f, NET.numParams() + 1));
  }

  /**
   * The bytes to flip. Zip metadata: every byte of the first local header (with its name), of the
   * first central-directory header and of the end record, so every field of each kind of record
   * is hit in every byte; of the other headers, which repeat those layouts, the first and last
   * byte and every 5th. Entry data [s, e): its first 16 bytes, for an .npy the 6 bytes either side
   * of the end of its header (header length, little-endian, at s + 8), its last 8 bytes, and
   * every 97th byte.
   */
  private static int[] flips(byte[] zip, boolean[] data) {
    java.util.TreeSet<Integer> at = new java.util.TreeSet<>();
    int central = zip.length;
    while (central > 0 && !data[central - 1]) {
      central--; // the central directory and end record follow the last entry's data
    }
    int i = 0;
    while (i < zip.length) {
      int s = i;
      boolean isData = data[i];
      while (i < zip.length && data[i] == isData) {
        i++;
      }
      int e = i;
      if (!isData) {
        boolean whole = s == 0;
        for (int k = s; k < e; k++) {
          boolean firstCentral = s == central && k < s + 46 + nameLength(zip, s, 28);
          if (whole || firstCentral || k >= zip.length - 22 || k == s || k == e - 1
              || (k - s) % 5 == 0) {
            at.add(k);
          }
        }
        continue;
      }
      for (int k = s; k < Math.min(e, s + 16); k++) {
        at.add(k);
      }
      if (e - s > 10 && (zip[s] & 0xFF) == 0x93 && zip[s + 1] == 'N') {
        int end = s + 10 + u16(zip, s + 8);
        for (int k = Math.max(s, end - 6); k < Math.min(e, end + 6); k++) {
          at.add(k);
        }
      }
      for (int k = Math.max(s, e - 8); k < e; k++) {
        at.add(k);
      }
      for (int k = s; k < e; k += 97) {
        at.add(k);
      }
    }
    return at.stream().mapToInt(Integer::intValue).toArray();
  }

  private static int nameLength(byte[] zip, int header, int field) {
    return header + field + 2 <= zip.length ? u16(zip, header + field) : 0;
  }

  private static int u16(byte[] b, int at) {
    return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8;
  }

  private static int[] toInts(boolean[] b) {
    int[] r = new int[b.length];
    for (int i = 0; i < b.length; i++) {
      r[i] = b[i] ? 1 : 0;
    }
    return r;
  }

  @Test
  void nonFiniteValuesAreRefused() {
    double[] params = NET.initialParameters(Initializer.XAVIER_UNIFORM, 1);
    for (int which = 0; which < 3; which++) {
      double[] p = params.clone();
      double[] v = new double[params.length];
      double[] best = params.clone();
      (which == 0 ? p : which == 1 ? v : best)[7] = which == 2 ? Double.POSITIVE_INFINITY : Double.NaN;
      Path f = tmp.resolve("nan" + which + ".npz");
      CheckpointFile.save(f, TrainingState.builder().velocity(v)
          .best(new TrainingState.Best(0.5, 1, 0, best)).build(), p);
      GradsparkException e = assertThrows(GradsparkException.class,
          () -> CheckpointFile.load(f, NET.numParams()));
      assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
      assertTrue(e.getMessage().contains("not finite"), e.getMessage());
    }
    Path ok = tmp.resolve("ok.npz");
    CheckpointFile.save(ok, TrainingState.START, params);
    assertArrayEquals(params, CheckpointFile.load(ok, NET.numParams()).params());
  }
}
