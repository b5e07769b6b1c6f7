package io.gradspark.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import io.gradspark.api.RunSpec;
import io.gradspark.data.ClassWeights;
import java.util.List;
import org.junit.jupiter.api.Test;

/** data.class-weights, data.train.weight-column and model.dropout as the config reads them. */
class WeightSettingsTest {
  private static RunSpec spec(String... sets) {
    return RunSpecs.load(null, List.of(sets), "x").spec();
  }

  @Test
  void theDefaultsWeighNothingAndDropNothing() {
    RunSpec s = spec();
    assertNull(s.data().classWeights());
    assertTrue(!s.data().weightedLoss());
    assertTrue(!s.network().hasDropout());
  }

  @Test
  void settingsReachTheSpec() {
    assertEquals(ClassWeights.BALANCED, spec("data.class-weights=balanced").data().classWeights());
    assertArrayEquals(new double[] {1, 2.5}, spec("model.layers=[4,3,2]",
        "data.class-weights=[1, 2.5]").data().classWeights().given());
    RunSpec d = spec("model.layers=[4,8,6,2]", "model.dropout=[0.5, 0.25]");
    assertEquals(0.5, d.network().dropout(0), 0.0);
    assertEquals(0.25, d.network().dropout(1), 0.0);
    assertEquals(0.3, spec("model.layers=[4,8,6,2]", "model.dropout=0.3").network().dropout(1),
        0.0);
    assertTrue(spec("data.train.format=csv", "data.train.weight-column=-1").data().rowWeights());
  }

  @Test
  void badValuesAreRefusedNamingTheirKey() {
    for (String set : List.of("model.dropout=1", "model.dropout=[0.1, 0.2, 0.3]",
        "data.class-weights=[1, -2]", "data.class-weights=[0, 0]", "data.class-weights=heavy",
        "data.train.weight-column=2")) {
      GradsparkException e = assertThrows(GradsparkException.class,
          () -> spec("model.layers=[4,8,2]", set), set);
      String key = set.substring(0, set.indexOf('='));
      System.out.println(e.getMessage());
      assertTrue(e.getMessage().contains(key), e.getMessage());
    }
  }
}
