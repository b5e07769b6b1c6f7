package io.gradspark.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.eval.EpochStats;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The report's curves and prose: mean histories, overfitting, the template's placeholders. */
class ReportTest {
  private static final Path MOONS = Path.of("conf/experiments/moons.conf");

  @Test
  void overfittingIsWhereTheMeanValidationLossBottomsOut() {
    List<EpochStats> h = List.of(
        new EpochStats(1, 10, 0.5, 0.30, 0.9, 0.31, 0.9, 1, 1),
        new EpochStats(2, 10, 0.2, 0.20, 0.95, 0.21, 0.95, 1, 1),
        new EpochStats(3, 10, 0.1, 0.25, 0.95, 0.26, 0.95, 1, 1),
        new EpochStats(4, 10, 0.05, 0.30, 0.96, 0.31, 0.96, 1, 1));
    assertEquals(2, Report.bestEpoch(h));
    assertTrue(ReportWriter.overfittingText(h).contains("Overfitting starts after epoch 2"));
    assertTrue(ReportWriter.overfittingText(h.subList(0, 2)).contains("no overfitting"));
  }

  @Test
  void everyPlaceholderOfTheTemplateIsFilled() {
    Experiments.Experiment ema = new Experiments.Experiment("moons-ema", "97%", 0.97, 2, "local",
        null);
    Experiments.Experiment none = new Experiments.Experiment("moons-none", "95%", 0.95, 1,
        "local", "moons-ema");
    Trials.Plan emaPlan = Trials.plan(MOONS, List.of("optimizer.form=ema",
        "optimizer.momentum=0.8"), 2, "moons-ema");
    Trials.Plan nonePlan = Trials.plan(MOONS, List.of("optimizer.momentum=0"), 1, "moons-none");
    List<Report.Entry> entries = List.of(
        new Report.Entry(ema, MOONS, emaPlan, outcome(emaPlan, 0.30)),
        new Report.Entry(none, MOONS, nonePlan, outcome(nonePlan, Double.NaN)));
    for (String engine : List.of("auto", "local", "spark")) {
      for (boolean quick : new boolean[] {true, false}) {
        String md = ReportWriter.markdown(new Report(entries, "submit/gradspark report", quick,
            engine, 75));
        assertFalse(md.contains("{{") || md.contains("}}"), md);
        assertEquals(quick, md.contains("--quick run"), md);
        assertTrue(md.contains("## moons-ema\n") && md.contains("## moons-none\n"), md);
        assertTrue(md.contains("Overfitting starts after epoch 2"), md);
        assertTrue(md.contains("No validation set"), md);
        assertTrue(md.contains("1/(1 − μ) = 5 times"), md); // momentum 0.8
        assertTrue(md.contains("](momentum-moons-ema.png)"), md);
        assertTrue(md.contains("1 min 15 s in all"), md);
      }
    }
  }

  @Test
  void renderingFailsOnAnUnknownOrUnfilledPlaceholder() {
    Template t = Template.parse("test", "a comment {{ignored}}\n<!-- snippet: a -->\n\n"
        + "Hello {{name}}, {{name}}.\n\n<!-- snippet: b -->\nplain\n");
    assertEquals("Hello you, you.", t.render("a", Map.of("name", "you")));
    assertEquals("plain", t.render("b"));
    assertEquals("Hello {{x}}, {{x}}.", t.render("a", Map.of("name", "{{x}}")));
    assertThrows(IllegalStateException.class, () -> t.render("a", Map.of()));
    assertThrows(IllegalStateException.class,
        () -> t.render("a", Map.of("name", "you", "other", "x")));
    assertThrows(IllegalStateException.class, () -> t.render("b", Map.of("name", "you")));
    assertThrows(IllegalStateException.class, () -> t.render("c", Map.of()));
  }

  /** Two epochs per trial with the validation loss lowest at epoch 2, or no validation (NaN). */
  private static Trials.Outcome outcome(Trials.Plan plan, double valLoss) {
    List<Trials.TrialResult> results = new ArrayList<>();
    for (int i = 0; i < plan.trials(); i++) {
      List<EpochStats> history = List.of(
          new EpochStats(1, 10, 0.5, valLoss, 0.9, 0.31, 0.9, 1, 1),
          new EpochStats(2, 10, 0.3, valLoss - 0.1, 0.92, 0.25, 0.92, 1, 1),
          new EpochStats(3, 10, 0.1, valLoss, 0.93, 0.3, 0.93, 1, 1));
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("test_accuracy", 0.93 + i / 100.0);
      summary.put("test_loss", 0.3);
      summary.put("train_seconds", 3.0);
      summary.put("epochs", 3);
      summary.put("kept_epoch", 3);
      results.add(new Trials.TrialResult(i, plan.specs().get(i).seed(), "ok", null, history, 3,
          summary, null));
    }
    return new Trials.Outcome(plan, results, 1, 9.5, "local");
  }
}
