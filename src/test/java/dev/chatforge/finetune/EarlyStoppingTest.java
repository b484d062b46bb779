package dev.chatforge.finetune;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chatforge.train.TrainerState;
import org.junit.jupiter.api.Test;

class EarlyStoppingTest {
    private static TrainerState at(long step, Double val, Double best, long bestStep) {
        return new TrainerState(step, 0, 1e-4, 1.0, val, best, bestStep, 0, 1, 0, null);
    }

    @Test
    void stopsAfterPatienceEvaluationsWithoutImprovement() {
        EarlyStopping rule = new EarlyStopping(2, 10);
        assertFalse(rule.test(at(10, 2.0, 2.0, 10)), "just improved");
        assertFalse(rule.test(at(20, 2.1, 2.0, 10)), "one evaluation without improvement");
        assertTrue(rule.test(at(30, 2.2, 2.0, 10)), "two evaluations without improvement");
        assertFalse(rule.test(at(31, null, 2.0, 10)), "only decided at evaluations");
    }

    @Test
    void patienceZeroNeverStops() {
        assertFalse(new EarlyStopping(0, 10).test(at(1000, 3.0, 2.0, 10)));
    }
}
