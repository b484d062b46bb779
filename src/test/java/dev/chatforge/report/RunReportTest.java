package dev.chatforge.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chatforge.io.StageInputException;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunReportTest {
    @TempDir
    Path dir;

    @Test
    void writesAFigureAndASelfContainedPageAboutBothRuns() throws Exception {
        Path pre = RunFixture.pretraining(dir);
        Path ft = RunFixture.fineTune(dir, pre);
        Path out = dir.resolve("out");
        RunReport.Written written = RunReport.write(List.of(pre, ft), out, false);

        BufferedImage figure = ImageIO.read(out.resolve("curves.png").toFile());
        assertEquals(written.width(), figure.getWidth());
        assertEquals(written.height(), figure.getHeight());
        assertTrue(figure.getWidth() >= 600 && figure.getHeight() >= 300, figure.getWidth() + "x" + figure.getHeight());
        assertFalse(isBlank(figure), "the figure has something drawn on it");

        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("chatforge report: pre, pre-ft"), "both runs in the title");
        assertTrue(html.contains("<code>" + pre + "</code>") && html.contains("<code>" + ft + "</code>"), "both folders");
        assertTrue(html.contains("Best validation loss <b>5.5000</b> (perplexity 244.69) at step <b>4</b>"),
                "pre's best step and loss");
        assertTrue(html.contains("Best validation loss <b>2.2000</b>") && html.contains("at step <b>2</b>"),
                "pre-ft's best step and loss");
        assertTrue(html.contains("<th>learning_rate</th><td><code>0.002</code>"), "pre's effective config");
        assertTrue(html.contains("<th>train_on</th><td><code>agent</code>"), "pre-ft's effective config");
        assertTrue(html.contains("<code>eval.json</code>") && html.contains(">244.69<") && html.contains(">1.8125<"),
                "the eval report: perplexity and bits per byte");
        assertTrue(html.contains("fine-tuned from <code>" + pre.resolve("best") + "</code> (written by train, step 4"),
                "the parent chain");
        assertTrue(html.contains("its step 0 is step 4"), "how the fine-tune is placed");
        assertFalse(html.contains("http://") || html.contains("https://"), "nothing fetched from the network");
        String inline = html.substring(html.indexOf("data:image/png;base64,") + 22);
        byte[] png = Base64.getDecoder().decode(inline.substring(0, inline.indexOf('"')));
        assertEquals(figure.getWidth(), ImageIO.read(new java.io.ByteArrayInputStream(png)).getWidth(), "image inline");
    }

    @Test
    void anExistingReportIsReplacedOnlyWithForce() throws Exception {
        Path pre = RunFixture.pretraining(dir);
        Path out = dir.resolve("out");
        RunReport.write(List.of(pre), out, false);
        Files.writeString(out.resolve("report.html"), "mine");
        StageInputException e = assertThrows(StageInputException.class, () -> RunReport.write(List.of(pre), out, false));
        assertTrue(e.getMessage().contains(out + ": already exists; pass --force"), e.getMessage());
        assertEquals("mine", Files.readString(out.resolve("report.html")));
        RunReport.write(List.of(pre), out, true);
        assertTrue(Files.readString(out.resolve("report.html")).contains("chatforge report: pre"));
    }

    /** Issue 19: every writer has one owner; a report may not land in a run it reads nor empty a user's folder. */
    @Test
    void aReportIsNeverWrittenIntoTheRunItReadsNorOverAUsersFolder() throws Exception {
        Path pre = RunFixture.pretraining(dir);
        List<String> before;
        try (var files = Files.list(pre)) {
            before = files.map(p -> p.getFileName().toString()).sorted().toList();
        }
        StageInputException e = assertThrows(StageInputException.class, () -> RunReport.write(List.of(pre), pre, true));
        assertTrue(e.getMessage().startsWith(pre + ": the output contains " + pre.resolve("metrics.jsonl")), e.getMessage());
        try (var files = Files.list(pre)) {
            assertEquals(before, files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        Path mine = Files.createDirectories(dir.resolve("mine"));
        Files.writeString(mine.resolve("notes.txt"), "mine");
        e = assertThrows(StageInputException.class, () -> RunReport.write(List.of(pre), mine, true));
        assertTrue(e.getMessage().startsWith(mine + ": holds notes.txt, which report did not write"), e.getMessage());
        assertEquals(List.of("notes.txt"), Files.list(mine).map(p -> p.getFileName().toString()).toList());
    }

    @Test
    void runNamesAndConfigValuesAreTextNotMarkup() throws Exception {
        Path run = RunFixture.pretraining(dir.resolve("x"));
        Path odd = Files.move(run, dir.resolve("<i>run\"&"));
        RunFixture.write(odd.resolve("manifest.json"), "{\"stage\":\"train\",\"config\":{\"data\":\"<script>x</script>\"}}");
        RunReport.write(List.of(odd), dir.resolve("out"), false);
        String html = Files.readString(dir.resolve("out/report.html"));
        assertFalse(html.contains("<script>") || html.contains("<i>run"), "escaped");
        assertTrue(html.contains("&lt;script&gt;x&lt;/script&gt;") && html.contains("&lt;i&gt;run&quot;&amp;"), html);
    }

    @Test
    void refreshingLossPngDrawsTheRunAndNeverThrows() throws Exception {
        Path run = RunFixture.pretraining(dir);
        LiveLossChart.refresh(run);
        BufferedImage png = ImageIO.read(run.resolve("loss.png").toFile());
        assertEquals(LiveLossChart.WIDTH, png.getWidth());
        assertEquals(LiveLossChart.HEIGHT, png.getHeight());

        RunFixture.write(run.resolve("metrics.jsonl"), "{\"step\":1,\"train_loss\":oops}\n");
        Files.delete(run.resolve("loss.png"));
        LiveLossChart.refresh(run); // a warning on stderr, no exception
        try (var files = Files.list(run)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith("loss.png")), "no half-written chart");
        }
    }

    private static boolean isBlank(BufferedImage image) {
        int first = image.getRGB(0, 0);
        for (int y = 0; y < image.getHeight(); y += 7) {
            for (int x = 0; x < image.getWidth(); x += 7) {
                if (image.getRGB(x, y) != first) {
                    return false;
                }
            }
        }
        return true;
    }
}
