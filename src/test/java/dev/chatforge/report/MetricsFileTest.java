package dev.chatforge.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chatforge.io.StageInputException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsFileTest {
    @TempDir
    Path dir;

    @Test
    void readsEveryLoggedValueAndLeavesMissingOnesNull() {
        Path run = RunFixture.pretraining(dir);
        List<MetricPoint> points = MetricsFile.read(run.resolve("metrics.jsonl"));
        assertEquals(5, points.size());
        MetricPoint first = points.get(0);
        assertEquals(0, first.step());
        assertEquals(7.0, first.valLoss());
        assertNull(first.trainLoss());
        assertNull(first.tokensSeen());
        assertEquals(new MetricPoint(4, 5.0, 5.5, 0.002, 1.2, 1100.0, 400.0, 2.0), points.get(2));
    }

    @Test
    void aMalformedLineIsNamedByFileAndLine() {
        Path file = dir.resolve("metrics.jsonl");
        RunFixture.write(file, "{\"step\":0,\"val_loss\":7.0}\n\n{\"step\":2,\"train_loss\":6.\n");
        StageInputException e = assertThrows(StageInputException.class, () -> MetricsFile.read(file));
        assertTrue(e.getMessage().startsWith(file + ":3: not valid JSON"), e.getMessage());
    }

    @Test
    void aLineWithoutAStepOrWithATextLossIsAnError() {
        Path file = dir.resolve("metrics.jsonl");
        RunFixture.write(file, "{\"train_loss\":6.0}\n");
        assertTrue(assertThrows(StageInputException.class, () -> MetricsFile.read(file)).getMessage()
                .contains(file + ":1: key 'step'"));
        RunFixture.write(file, "{\"step\":1,\"train_loss\":6.0}\n{\"step\":2,\"train_loss\":\"low\"}\n");
        assertTrue(assertThrows(StageInputException.class, () -> MetricsFile.read(file)).getMessage()
                .contains(file + ":2: key 'train_loss': expected a number"));
        RunFixture.write(file, "[1, 2]\n");
        assertTrue(assertThrows(StageInputException.class, () -> MetricsFile.read(file)).getMessage()
                .contains(file + ":1: expected a JSON object"));
    }

    /** A skipped step's non-finite gradient norm, as the trainer logs it, is read, not refused. */
    @Test
    void aNonFiniteGradientNormAsTheTrainerLogsItIsRead() {
        Path file = dir.resolve("metrics.jsonl");
        try (dev.chatforge.train.MetricsLog log = dev.chatforge.train.MetricsLog.open(file, 0)) {
            log.append(dev.chatforge.train.MetricsLog.line(10).put("train_loss", 3.0).put("grad_norm", Double.NaN));
            log.append(dev.chatforge.train.MetricsLog.line(20).put("train_loss", 2.5)
                    .put("grad_norm", Double.POSITIVE_INFINITY));
        }
        List<MetricPoint> points = MetricsFile.read(file);
        assertTrue(points.get(0).gradNorm().isNaN());
        assertEquals(Double.POSITIVE_INFINITY, points.get(1).gradNorm());
        assertEquals(2.5, points.get(1).trainLoss());
    }

    @Test
    void aMissingFileSaysWhatFolderWasExpected() {
        Path file = dir.resolve("metrics.jsonl");
        StageInputException e = assertThrows(StageInputException.class, () -> MetricsFile.read(file));
        assertTrue(e.getMessage().contains(file + ": not found") && e.getMessage().contains("chatforge train"),
                e.getMessage());
    }
}
