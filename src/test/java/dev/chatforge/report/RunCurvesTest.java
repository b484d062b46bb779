package dev.chatforge.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chart data: which points each curve of a report gets, before anything is drawn. */
class RunCurvesTest {
    @TempDir
    Path dir;

    @Test
    void aRunsMetricsBecomeItsCurvesPointForPoint() {
        RunSummary run = RunSummary.read(RunFixture.pretraining(dir));
        RunCurves c = RunCurves.of(List.of(run)).get(0);
        assertEquals("pre", c.label());
        assertCurve(c.trainLossByStep(), "pre train", new double[] {2, 4, 6, 8}, new double[] {6.0, 5.0, 4.5, 4.0});
        // validation: step 0's first evaluation, then every evaluation
        assertCurve(c.valLossByStep(), "pre val", new double[] {0, 4, 8}, new double[] {7.0, 5.5, 5.6});
        assertCurve(c.trainLossByTokens(), "pre train", new double[] {200, 400, 600, 800},
                new double[] {6.0, 5.0, 4.5, 4.0});
        // step 0 has no tokens_seen: it is at 0 tokens
        assertCurve(c.valLossByTokens(), "pre val", new double[] {0, 400, 800}, new double[] {7.0, 5.5, 5.6});
        assertCurve(c.learningRate(), "pre", new double[] {2, 4, 6, 8}, new double[] {0.001, 0.002, 0.001, 0.0005});
        assertCurve(c.gradNorm(), "pre", new double[] {2, 4, 6, 8}, new double[] {1.5, 1.2, 1.0, 0.9});
        assertCurve(c.tokensPerSec(), "pre", new double[] {2, 4, 6, 8}, new double[] {1000, 1100, 1200, 1300});
    }

    @Test
    void bestIsTheLowestValidationLossAfterStepZero() {
        RunSummary run = RunSummary.read(RunFixture.pretraining(dir));
        assertEquals(4, run.best().orElseThrow().step());
        assertEquals(5.5, run.best().orElseThrow().valLoss());
        assertEquals("train", run.stage());
        assertTrue(run.finished());
        assertEquals(0.002, run.config().get("learning_rate").asDouble());
        assertEquals(1, run.evals().size());
        assertEquals(244.69, run.evals().get(0).perplexity());
        assertEquals(1.8125, run.evals().get(0).bitsPerByte());
    }

    @Test
    void aFineTuneIsDrawnAfterItsParentCheckpointWhenTheParentRunIsInTheReport() {
        Path pre = RunFixture.pretraining(dir);
        Path ft = RunFixture.fineTune(dir, pre);
        List<RunCurves> curves = RunCurves.of(List.of(RunSummary.read(pre), RunSummary.read(ft)));
        RunCurves parent = curves.get(0);
        RunCurves child = curves.get(1);
        assertSame(AxisOffset.NONE, parent.offset());
        assertSame(parent.run(), child.offset().parent());
        // fine-tuned from pre/best at step 4, when pre had seen 400 tokens
        assertCurve(child.valLossByStep(), "pre-ft val", new double[] {4, 6}, new double[] {3.0, 2.2});
        assertCurve(child.trainLossByStep(), "pre-ft train", new double[] {5, 6}, new double[] {2.5, 2.0});
        assertCurve(child.valLossByTokens(), "pre-ft val", new double[] {400, 500}, new double[] {3.0, 2.2});
        assertCurve(child.trainLossByTokens(), "pre-ft train", new double[] {450, 500}, new double[] {2.5, 2.0});
        assertArrayEquals(new double[] {5, 6}, child.learningRate().x());
    }

    @Test
    void aFineTuneAloneStartsAtZeroAndStillKnowsItsParentChain() {
        Path pre = RunFixture.pretraining(dir);
        RunSummary ft = RunSummary.read(RunFixture.fineTune(dir, pre));
        RunCurves alone = RunCurves.of(List.of(ft)).get(0);
        assertEquals(0, alone.offset().steps());
        assertNull(alone.offset().parent());
        assertArrayEquals(new double[] {0, 2}, alone.valLossByStep().x());
        assertEquals("finetune", ft.stage());
        ParentLink link = ft.parents().get(0);
        assertEquals(pre.resolve("best").toString(), link.checkpoint());
        assertEquals(4L, link.step());
        assertEquals(400L, link.tokensSeen());
        assertEquals("train", link.stage());
        assertTrue(link.found());
        assertEquals(1, ft.parents().size());
    }

    @Test
    void aCheckpointFolderGivenInsteadOfItsRunIsReadFromItsOwnState() throws Exception {
        Path pre = RunFixture.pretraining(dir);
        java.nio.file.Files.copy(pre.resolve("metrics.jsonl"), pre.resolve("best/metrics.jsonl"));
        RunSummary best = RunSummary.read(pre.resolve("best"));
        assertEquals("train", best.stage());
        assertEquals(4, best.best().orElseThrow().step());
    }

    @Test
    void runsWithTheSameFolderNameAreLabelledByTheirPaths() {
        Path a = RunFixture.pretraining(dir.resolve("a"));
        Path b = RunFixture.pretraining(dir.resolve("b"));
        List<RunCurves> curves = RunCurves.of(List.of(RunSummary.read(a), RunSummary.read(b)));
        assertEquals(List.of(a.toString(), b.toString()), curves.stream().map(RunCurves::label).toList());
    }

    @Test
    void roundLogTicksCoverTheRangeWithAtLeastSixLabels() {
        assertEquals(List.of(4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0, 7.5), LogScaleAxis.roundValues(3.9, 7.6));
        assertEquals(List.of(0.4, 0.5, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0), LogScaleAxis.roundValues(0.35, 7.6));
    }

    private static void assertCurve(Curve curve, String label, double[] x, double[] y) {
        assertEquals(label, curve.label());
        assertArrayEquals(x, curve.x(), 1e-9, label + " x");
        assertArrayEquals(y, curve.y(), 1e-9, label + " y");
    }
}
