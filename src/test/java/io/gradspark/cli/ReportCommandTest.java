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
      Path trial = e.isSweep() ? runs.resolve(e.id()).resolve("point-37/trial-1")
          : runs.resolve(e.id()).resolve("trial-1");
      assertTrue(Files.isRegularFile(trial.resolve("history.json")), trial.toString());
      assertTrue(md.contains("| " + e.id() + " | " + e.engine() + " | "), "engine row " + e.id());
    }
    // the sweep: every h from 3 to 40 in its table and csv, the best one in the summary
    List<String> csv = Files.readAllLines(out.resolve("moons-sweep.csv"));
    assertEquals(39, csv.size(), "header and 38 points");
    for (int h = 3; h <= 40; h++) {
      assertTrue(md.contains("\n| " + h + " | "), "h = " + h);
      assertTrue(csv.get(h - 2).contains("\"[2," + h + ",2]\""), csv.get(h - 2));
    }
    assertTrue(md.contains("| [moons-sweep](#moons-sweep) | 2-h-2 relu/softmax, h = 3 to 40"
        + " | mean test accuracy rises with h, then falls once overfitting sets in | best **h = "),
        md);
    // the long runs name where their loss turns, against the published epochs
    assertTrue(md.contains("validation loss lowest after 20-30 epochs, rising later | "), md);
    assertTrue(md.contains("**The turn.** Published: test loss rising after ~2,400 epochs."), md);
    // with no accuracy to compare, what was found about the 10,000-epoch turn goes with it
    assertTrue(md.contains(io.gradspark.experiment.Experiments.reason("neuron-0-10k")), md);
    // the concurrent trials on Spark were measured, and changed nothing
    assertTrue(md.contains("**Concurrent trials on one SparkContext.**")
        && md.contains("with every trial's parameters bit-identical both ways"), md);
    assertTrue(md.contains("## Differences from the published figures\n"), md);
    for (String compared : List.of("relu-deep", "full-batch", "neuron-0", "neuron-7",
        "hidden64-0", "hidden64-7")) {
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
