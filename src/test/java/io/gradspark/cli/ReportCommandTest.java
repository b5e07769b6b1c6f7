package io.gradspark.cli;

import io.gradspark.experiment.Experiments;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reduced report end to end through the real entry point; the full one is not for CI. */
class ReportCommandTest {
  @TempDir
  Path tmp;

  @Test
  void quickReportCoversEveryExperimentWithItsCharts() throws IOException {
    Path out = tmp.resolve("report");
    Path runs = tmp.resolve("runs");
    CliRun r = CliRun.run("report", "--quick", "--out", out.toString(), "--runs",
        runs.toString());
    assertEquals(0, r.exitCode(), r.err());
    String md = Files.readString(out.resolve("report.md"));
    assertTrue(md.contains("submit/gradspark report --quick --out " + out), md);
    for (Experiments.Experiment e : Experiments.ALL) {
      assertTrue(md.contains("## " + e.id() + "\n"), e.id());
      assertTrue(md.contains(e.published()), e.id());
      assertTrue(md.contains("](" + e.id() + ".png)"), e.id());
      BufferedImage png = ImageIO.read(out.resolve(e.id() + ".png").toFile());
      assertTrue(png.getWidth() >= 800 && png.getHeight() >= 400, e.id());
      assertTrue(Files.isRegularFile(runs.resolve(e.id()).resolve("trial-1/history.json")));
    }
    for (String compared : List.of("relu-deep", "full-batch")) {
      assertTrue(md.contains("](momentum-" + compared + ".png)"), compared);
      assertTrue(ImageIO.read(out.resolve("momentum-" + compared + ".png").toFile()) != null);
    }
    assertTrue(md.contains("| spark |") && md.contains("| local |"), "auto engines");
  }

  @Test
  void refusesAnUnknownExperimentWithNothingWritten() {
    Path out = tmp.resolve("never");
    CliRun r = CliRun.run("report", "--quick", "--only", "moons,neuron-9", "--out",
        out.toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("no experiment 'neuron-9'"), r.err());
    assertFalse(Files.exists(out));
  }
}
