package io.gradspark.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.api.Engines;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Trials of several plans in one pool: each plan gets its own trials, as run alone would. */
class TrialsTest {
  private static final Path MOONS = Path.of("conf/experiments/moons.conf");

  @Test
  void onePoolForSeveralPlansGivesEachPlanTheResultsOfRunningItAlone() {
    List<Trials.Plan> plans = List.of(
        Trials.plan(MOONS, List.of("training.epochs=2", "model.layers=[2,3,2]"), 2, "narrow"),
        Trials.plan(MOONS, List.of("training.epochs=1", "model.layers=[2,16,2]"), 3, "wide"),
        Trials.plan(MOONS, List.of("training.epochs=3", "model.layers=[2,8,2]"), 1, "long"));
    List<Engines> engines = new ArrayList<>();
    for (int k = 0; k < plans.size(); k++) {
      engines.add(Engines.local());
    }
    List<Trials.Outcome> pooled = Trials.runAll(plans, engines, 2,
        Collections.nCopies(plans.size(), null), List.of("[a] ", "[b] ", "[c] "));
    assertEquals(plans.size(), pooled.size());
    double maxDiff = 0;
    for (int k = 0; k < plans.size(); k++) {
      Trials.Outcome alone = Trials.run(plans.get(k), Engines.local(), 1, null, "[alone] ");
      Trials.Outcome o = pooled.get(k);
      assertEquals(plans.get(k), o.plan());
      assertEquals(plans.get(k).trials(), o.results().size());
      assertEquals(2, o.parallel());
      assertTrue(o.ended() >= o.started() && o.wallSeconds() >= 0, "wall time");
      for (int i = 0; i < o.results().size(); i++) {
        Trials.TrialResult r = o.results().get(i);
        assertEquals(i, r.trial());
        assertEquals(plans.get(k).specs().get(i).seed(), r.seed());
        assertEquals(plans.get(k).first().epochs(), r.history().size());
        double[] a = alone.results().get(i).params();
        for (int j = 0; j < a.length; j++) {
          maxDiff = Math.max(maxDiff, Math.abs(a[j] - r.params()[j]));
        }
        assertArrayEquals(a, r.params(), plans.get(k).name() + " trial " + i);
      }
    }
    System.out.println("pooled vs alone, max |difference| of parameters: " + maxDiff);
  }

  @Test
  void theCostliestTrialsComeFirst() {
    Trials.Plan small = Trials.plan(MOONS, List.of("training.epochs=1"), 1, "small");
    Trials.Plan big = Trials.plan(MOONS, List.of("training.epochs=100"), 1, "big");
    assertTrue(Trials.cost(big) > 50 * Trials.cost(small),
        Trials.cost(big) + " vs " + Trials.cost(small));
    Trials.Plan middle = Trials.plan(MOONS, List.of("training.epochs=10"), 1, "middle");
    // listed cheapest first, so only the sort can put them the other way round
    List<Trials.Task> order = Trials.schedule(List.of(small, middle, big));
    List<Integer> plans = new ArrayList<>();
    for (Trials.Task t : order) {
      plans.add(t.plan());
    }
    assertEquals(List.of(2, 1, 0), plans, "submission order (plan indices) " + order);
  }
}
