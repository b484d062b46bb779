package dev.chatforge.finetune;

import dev.chatforge.train.ArrayTokenSource;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chatforge.io.StageInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConversationPackerTest {
    // Special ids as a chatforge tokenizer orders them: eot, system, user, agent, end.
    static final int EOT = 0, SYS = 1, USER = 2, AGENT = 3, END = 4;

    /** Builds a token stream like the tokenize stage writes for the TURNS template. */
    static final class Stream {
        final List<Integer> ids = new ArrayList<>();
        final List<Byte> mask = new ArrayList<>();

        Stream conversation() {
            return add(0, EOT);
        }

        Stream system(int... content) {
            add(0, SYS);
            add(0, content);
            return add(0, END);
        }

        Stream user(int... content) {
            add(0, USER);
            add(0, content);
            return add(0, END);
        }

        /** The agent opener is context; the reply and its end-of-turn are trained. */
        Stream agent(int... content) {
            add(0, AGENT);
            add(1, content);
            return add(1, END);
        }

        private Stream add(int m, int... tokens) {
            for (int t : tokens) {
                ids.add(t);
                mask.add((byte) m);
            }
            return this;
        }

        ArrayTokenSource source(boolean withMask) {
            int[] a = ids.stream().mapToInt(Integer::intValue).toArray();
            byte[] m = new byte[mask.size()];
            for (int i = 0; i < m.length; i++) {
                m[i] = mask.get(i);
            }
            return new ArrayTokenSource(a, withMask ? m : null, 100);
        }
    }

    private static PackedWindows pack(Stream s, int blockSize, TrainOn trainOn) {
        return new ConversationPacker(blockSize, EOT, Set.of(USER), trainOn).pack(s.source(true), "val.bin");
    }

    @Test
    void trainsOnAgentRepliesWithTheirEndOfTurnAndNeverOnPadding() {
        Stream s = new Stream()
                .conversation().system(10).user(11, 12).agent(13, 14)
                .conversation().user(15).agent(16);
        PackedWindows w = pack(s, 31, TrainOn.AGENT);
        assertEquals(1, w.count());
        assertEquals(2, w.conversations());
        int[] expectedIds = {EOT, SYS, 10, END, USER, 11, 12, END, AGENT, 13, 14, END,
                EOT, USER, 15, END, AGENT, 16, END,
                EOT, EOT, EOT, EOT, EOT, EOT, EOT, EOT, EOT, EOT, EOT, EOT, EOT};
        byte[] expectedWeights = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1,
                0, 0, 0, 0, 0, 1, 1,
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        assertArrayEquals(expectedIds, w.window(0));
        assertArrayEquals(expectedWeights, w.windowWeights(0));
        assertEquals(5, w.trainedTokens());
        assertEquals(13, w.paddingTokens());
    }

    @Test
    void aConversationThatDoesNotFitStartsANewWindow() {
        Stream s = new Stream()
                .conversation().user(11).agent(12, 13)   // 9 tokens
                .conversation().user(14).agent(15, 16);  // 9 tokens
        PackedWindows w = pack(s, 11, TrainOn.AGENT); // windows of 12
        assertEquals(2, w.count());
        assertEquals(EOT, w.window(1)[0]);
        assertEquals(USER, w.window(1)[1]);
        assertEquals(6, w.trainedTokens());
    }

    @Test
    void aLongConversationIsCutAtExchangeBoundariesKeepingThePersona() {
        Stream s = new Stream().conversation().system(10)                 // opening: 4 tokens
                .user(20).agent(21)                                       // exchange 1: 6 tokens
                .user(30).agent(31)                                       // exchange 2: 6
                .user(40).agent(41);                                      // exchange 3: 6
        PackedWindows w = pack(s, 15, TrainOn.AGENT); // windows of 16 hold the opening + 2 exchanges
        assertEquals(2, w.count());
        // The last piece keeps the most context: persona, exchanges 2 and 3.
        int[] last = w.window(1);
        assertArrayEquals(new int[] {EOT, SYS, 10, END, USER, 30, END, AGENT, 31, END, USER, 40, END, AGENT, 41, END}, last);
        // The first piece: persona and exchange 1, padded.
        int[] first = w.window(0);
        assertArrayEquals(new int[] {EOT, SYS, 10, END, USER, 20, END, AGENT, 21, END}, java.util.Arrays.copyOf(first, 10));
        // every reply is trained once
        assertEquals(6, w.trainedTokens());
    }

    @Test
    void anExchangeLongerThanAWindowIsTrainedWholeInConsecutivePiecesWithContext() {
        int[] reply = new int[20];
        for (int i = 0; i < reply.length; i++) {
            reply[i] = 50 + i;
        }
        Stream s = new Stream().conversation().user(1, 1, 1, 1, 1, 1, 1, 1, 1, 1).agent(reply);
        PackedWindows w = pack(s, 7, TrainOn.AGENT); // 36 tokens into windows of 8
        // every reply token and its <|end|> is trained, each exactly once
        assertEquals(21, w.trainedTokens());
        assertEquals(0, w.untrainedTokens());
        List<Integer> trained = new ArrayList<>();
        for (int k = 0; k < w.count(); k++) {
            int[] ids = w.window(k);
            byte[] weights = w.windowWeights(k);
            assertEquals(0, weights[0], "the first token of a window is never a target");
            for (int i = 0; i < ids.length; i++) {
                if (weights[i] == 1) {
                    trained.add(ids[i]);
                    // a trained token follows its real predecessor: the piece is a stretch of the conversation
                    int at = s.ids.lastIndexOf(ids[i]);
                    assertEquals(s.ids.get(at - 1), ids[i - 1], "window " + k + " token " + i);
                }
            }
        }
        List<Integer> expected = new ArrayList<>();
        for (int t : reply) {
            expected.add(t);
        }
        expected.add(END);
        assertEquals(expected, trained, "in order, none twice, none missing");
        // the first piece: the opening, then as much of the question as fits before its first trained tokens
        assertArrayEquals(new int[] {EOT, 1, 1, END, AGENT, 50, 51, 52}, w.window(0));
        assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 1, 1, 1}, w.windowWeights(0));
    }

    /** Long replies, a persona and short exchanges: the trained count is exactly the data's (what tokenize reports). */
    @Test
    void everyAgentTokenOfLongConversationsIsTrainedOnce() {
        java.util.Random random = new java.util.Random(4);
        Stream s = new Stream();
        long marked = 0;
        for (int c = 0; c < 30; c++) {
            s.conversation();
            if (random.nextBoolean()) {
                s.system(random.ints(random.nextInt(12) + 1, 10, 20).toArray());
            }
            for (int e = random.nextInt(3) + 1; e > 0; e--) {
                s.user(random.ints(random.nextInt(30) + 1, 20, 30).toArray());
                int[] reply = random.ints(random.nextInt(120) + 1, 30, 90).toArray();
                s.agent(reply);
                marked += reply.length + 1;
            }
        }
        for (int block : new int[] {8, 16, 31, 64}) {
            PackedWindows w = pack(s, block, TrainOn.AGENT);
            assertEquals(marked, w.trainableTokens(), "block " + block);
            assertEquals(marked, w.trainedTokens(), "block " + block);
            long weighted = 0;
            for (int k = 0; k < w.count(); k++) {
                byte[] weights = w.windowWeights(k);
                assertEquals(0, weights[0]);
                for (byte b : weights) {
                    weighted += b;
                }
            }
            assertEquals(marked, weighted, "block " + block);
        }
    }

    @Test
    void lastAgentTrainsOnlyTheFinalReply() {
        Stream s = new Stream().conversation().user(11).agent(12).user(13).agent(14, 15);
        PackedWindows w = pack(s, 31, TrainOn.LAST_AGENT);
        byte[] weights = w.windowWeights(0);
        int[] ids = w.window(0);
        for (int i = 0; i < ids.length; i++) {
            boolean lastReply = i >= 11 && i <= 13; // 14, 15, END of the second reply
            assertEquals(lastReply ? 1 : 0, weights[i], "token " + i + " (" + ids[i] + ")");
        }
        assertEquals(3, w.trainedTokens());
    }

    @Test
    void allTrainsEveryRealTokenButNotPadding() {
        Stream s = new Stream().conversation().user(11).agent(12);
        PackedWindows w = pack(s, 15, TrainOn.ALL);
        byte[] weights = w.windowWeights(0);
        assertEquals(0, weights[0], "the first token of a window is never a target");
        for (int i = 1; i < 7; i++) { // EOT USER 11 END AGENT 12 END
            assertEquals(1, weights[i]);
        }
        for (int i = 7; i < 16; i++) {
            assertEquals(0, weights[i], "padding");
        }
        assertEquals(6, w.trainedTokens());
    }

    @Test
    void dataWithoutALossMaskIsRefusedUnlessTrainingOnAll() {
        Stream s = new Stream().conversation().user(11).agent(12);
        StageInputException e = assertThrows(StageInputException.class,
                () -> new ConversationPacker(15, EOT, Set.of(USER), TrainOn.AGENT).pack(s.source(false), "data/x/train.bin"));
        assertTrue(e.getMessage().startsWith("data/x/train.bin: has no loss mask"), e.getMessage());
        assertEquals(1, new ConversationPacker(15, EOT, Set.of(USER), TrainOn.ALL).pack(s.source(false), "x").count());
    }
}
