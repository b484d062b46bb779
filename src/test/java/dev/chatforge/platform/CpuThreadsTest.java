package dev.chatforge.platform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The free-core arithmetic behind PyTorch's thread count (the sampling itself reads /proc). */
class CpuThreadsTest {
    @Test
    void readsIdleAndTotalTicksFromTheAggregateLine() {
        // user nice system idle iowait irq softirq steal guest guest_nice
        assertArrayEquals(new long[] {1005, 1610},
                CpuThreads.parseCpuLine("cpu  400 10 100 1000 5 50 40 5 7 0"));
        assertThrows(IllegalArgumentException.class, () -> CpuThreads.parseCpuLine("cpu0 1 2 3 4 5 6 7 8"));
    }

    @Test
    void anotherProcessOnOneOfTwoCoresLeavesOneThread() {
        // 200 ticks on 2 cpus: 100 idle, 100 busy, none of them ours -> one core busy elsewhere.
        double busy = CpuThreads.busyCoresElsewhere(new long[] {0, 0}, new long[] {100, 200}, 0, 2);
        assertEquals(1.0, busy, 1e-9);
        assertEquals(1, CpuThreads.threadsFor(2, busy));
    }

    @Test
    void ourOwnStartUpWorkIsNotAnotherProcess() {
        // The same busy ticks, all of them this JVM's (compiling at start-up): the machine is free.
        double busy = CpuThreads.busyCoresElsewhere(new long[] {0, 0}, new long[] {100, 200}, 100, 2);
        assertEquals(0.0, busy, 1e-9);
        assertEquals(2, CpuThreads.threadsFor(2, busy));
    }

    @Test
    void threadsFollowTheFreeCoresWithinOneAndAll() {
        assertEquals(2, CpuThreads.threadsFor(2, 0.4));   // a little background work: both cores
        assertEquals(1, CpuThreads.threadsFor(2, 1.6));
        assertEquals(1, CpuThreads.threadsFor(2, 3.0));   // overloaded: still one
        assertEquals(6, CpuThreads.threadsFor(8, 2.2));
        assertEquals(0.0, CpuThreads.busyCoresElsewhere(new long[] {5, 10}, new long[] {5, 10}, 0, 2), 0);
    }
}
