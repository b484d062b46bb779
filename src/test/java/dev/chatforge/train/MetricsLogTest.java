package dev.chatforge.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chatforge.io.StageInputException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** metrics.jsonl after a kill: a line cut short by the kill is repaired, other damage is named by line. */
class MetricsLogTest {
    @TempDir
    Path dir;

    private static final String GOOD = "{\"step\":0,\"val_loss\":4.1}\n{\"step\":1,\"train_loss\":4.0}\n"
            + "{\"step\":2,\"train_loss\":3.9}\n";

    private String stderrOf(Runnable action) {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(old);
        }
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aTornLastLineIsRepairedOnResumeAndSaidSo() throws Exception {
        Path file = Files.writeString(dir.resolve(MetricsLog.FILE_NAME), GOOD + "{\"step\":3,\"train_lo");
        String err = stderrOf(() -> {
            try (MetricsLog log = MetricsLog.open(file, 2)) {
                log.append(MetricsLog.line(3).put("train_loss", 3.8));
            }
        });
        assertEquals(List.of("{\"step\":0,\"val_loss\":4.1}", "{\"step\":1,\"train_loss\":4.0}",
                "{\"step\":2,\"train_loss\":3.9}", "{\"step\":3,\"train_loss\":3.8}"), Files.readAllLines(file));
        assertTrue(err.contains(file + ":4: dropped an incomplete last line"), err);
    }

    @Test
    void aBrokenLineElsewhereIsAnErrorNamingItsLine() throws Exception {
        Path file = Files.writeString(dir.resolve(MetricsLog.FILE_NAME),
                "{\"step\":0,\"val_loss\":4.1}\n{\"step\":1,\"train_\n{\"step\":2,\"train_loss\":3.9}\n");
        StageInputException e = assertThrows(StageInputException.class, () -> MetricsLog.open(file, 2));
        assertTrue(e.getMessage().startsWith(file + ":2: "), e.getMessage());
        StageInputException v = assertThrows(StageInputException.class, () -> MetricsLog.valLossAt(file, 2));
        assertTrue(v.getMessage().startsWith(file + ":2: "), v.getMessage());
    }
}
