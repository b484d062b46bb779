package dev.chatforge.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chatforge.tokenizer.ChatTemplate;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatReplTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String input, boolean interactive, ChatSessionTest.CharModel model) throws Exception {
        ChatSession session = new ChatSession(ChatTemplate.TURNS, model, "P", 20);
        return new ChatRepl(session, new BufferedReader(new StringReader(input)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                interactive).run();
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void scriptedInputGivesOneReplyLinePerMessageAndCommandsStayOffStdout() throws Exception {
        ChatSessionTest.CharModel model = new ChatSessionTest.CharModel(1000);
        int replies = run("hello\n\n/persona You are kind.\nsecond\n/reset\nthird\n", false, model);
        assertEquals(3, replies);
        // one output line per input line: empty for the blank line and the commands
        assertEquals(List.of("reply 1", "", "", "reply 2", "", "reply 3"), out().lines().toList());
        assertTrue(!out().contains("persona"), "command acknowledgements stay off stdout");
        assertTrue(model.prompts.get(1).startsWith("<|system|>You are kind.<|end|><|user|>hello"), model.prompts.get(1));
        assertEquals("<|system|>You are kind.<|end|><|user|>third<|end|><|agent|>", model.prompts.get(2),
                "/reset forgets the turns, keeps the persona");
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("persona: You are kind."));
    }

    @Test
    void exitStopsBeforeTheRest() throws Exception {
        assertEquals(1, run("one\n/exit\ntwo\n", false, new ChatSessionTest.CharModel(1000)));
        assertEquals(List.of("reply 1"), out().lines().toList());
    }

    @Test
    void terminalShowsThePromptAndEndOfInputExitsCleanly() throws Exception {
        assertEquals(1, run("hi\n", true, new ChatSessionTest.CharModel(1000)));
        assertEquals("> reply 1\n> \n", out());
    }

    @Test
    void aTooLongMessageKeepsScriptOutputAligned() throws Exception {
        assertEquals(1, run("x".repeat(500) + "\nok\n", false, new ChatSessionTest.CharModel(100)));
        assertEquals(List.of("", "reply 1"), out().lines().toList());
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("error: the message and the persona take"));
    }

    @Test
    void multiLineRepliesBecomeOneLine() {
        assertEquals("a b c", ChatRepl.oneLine(" a\n b\r\n\nc "));
    }

    @Test
    void everyInputLineGetsExactlyOneOutputLine() throws Exception {
        String input = "first\n\n   \nsecond\n/help\n\nthird\n";
        assertEquals(3, run(input, false, new ChatSessionTest.CharModel(1000)));
        List<String> lines = out().lines().toList();
        assertEquals(input.lines().count(), lines.size(), out());
        assertEquals(List.of("reply 1", "", "", "reply 2", "", "", "reply 3"), lines);
    }
}
