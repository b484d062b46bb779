package dev.chatforge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** `chatforge serve`'s safe defaults as a user meets them on the command line. */
class ServeCliTest {
    @Test
    void aNonLoopbackHostWithoutAKeyIsRefusedBeforeAnythingListens() {
        CliRun r = CliRun.of("serve", "--checkpoint", "no-such-checkpoint", "--host", "0.0.0.0", "--port", "0");
        assertEquals(Main.EXIT_USAGE, r.code(), r.err());
        assertTrue(r.err().contains("refusing to listen on 0.0.0.0") && r.err().contains("--no-auth"), r.err());
    }

    @Test
    void badLimitsAreReportedWithTheirKeys() {
        CliRun r = CliRun.of("serve", "--checkpoint", "x", "--max-concurrent", "0", "--port", "70000");
        assertEquals(Main.EXIT_USAGE, r.code(), r.err());
        assertTrue(r.err().contains("serve.max_concurrent") && r.err().contains("serve.port"), r.err());
    }

    @Test
    void theSmokeConfigHasAServeSection() {
        CliRun r = CliRun.of("serve", "--config", "configs/smoke.yaml", "--host", "0.0.0.0");
        assertEquals(Main.EXIT_USAGE, r.code(), r.err());
        assertTrue(r.err().contains("checkpoint: \"checkpoints/smoke-ft/best\"") || r.err().contains("checkpoints/smoke-ft/best"),
                r.err());
    }
}
