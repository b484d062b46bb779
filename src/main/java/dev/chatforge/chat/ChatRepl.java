package dev.chatforge.chat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;

/**
 * The command-line chatbot. On a terminal: a {@code > } prompt, replies streamed as they are
 * generated, commands {@code /reset}, {@code /persona TEXT}, {@code /exit}, and Ctrl-D to
 * leave. When input is not a terminal it is scriptable: one user message per input line and
 * exactly one output line per input line, so the two pair up: the reply (newlines inside it become
 * spaces), or an empty line for an empty input, a command (its acknowledgement goes to stderr)
 * or a message that could not be answered. {@code /exit} ends without a line.
 */
public final class ChatRepl {
    static final String PROMPT = "> ";
    static final String HELP = "commands: /reset (forget the conversation), /persona TEXT (set the persona; "
            + "/persona alone removes it), /exit (or Ctrl-D)";

    private final ChatSession session;
    private final BufferedReader in;
    private final PrintStream out;
    private final PrintStream err;
    private final boolean interactive;

    /**
     * @param out         replies (and the prompt, on a terminal)
     * @param err         command acknowledgements and errors
     * @param interactive whether a person types at a terminal
     */
    public ChatRepl(ChatSession session, BufferedReader in, PrintStream out, PrintStream err, boolean interactive) {
        this.session = session;
        this.in = in;
        this.out = out;
        this.err = err;
        this.interactive = interactive;
    }

    /** Runs until /exit or end of input; returns the number of replies given. */
    public int run() throws IOException {
        if (interactive) {
            err.println("chatforge chat: " + HELP);
            if (session.persona() != null) {
                err.println("persona: " + session.persona());
            }
        }
        int replies = 0;
        while (true) {
            if (interactive) {
                out.print(PROMPT);
                out.flush();
            }
            String line = in.readLine();
            if (line == null) {
                if (interactive) {
                    out.println(); // Ctrl-D leaves the cursor after the prompt
                }
                return replies;
            }
            String text = line.strip();
            if (text.isEmpty()) {
                emptyScriptLine();
                continue;
            }
            if (text.startsWith("/")) {
                if (!command(text)) {
                    return replies;
                }
                emptyScriptLine();
                continue;
            }
            if (reply(text)) {
                replies++;
            }
        }
    }

    /** In a script, an input line with no reply still gets its (empty) output line. */
    private void emptyScriptLine() {
        if (!interactive) {
            out.println();
            out.flush();
        }
    }

    /** Runs one command; returns false for /exit. */
    private boolean command(String text) {
        int space = text.indexOf(' ');
        String name = space < 0 ? text : text.substring(0, space);
        String argument = space < 0 ? "" : text.substring(space + 1).strip();
        switch (name) {
            case "/exit", "/quit" -> {
                return false;
            }
            case "/reset" -> {
                session.reset();
                err.println("(conversation cleared" + (session.persona() == null ? "" : "; persona kept") + ")");
            }
            case "/persona" -> {
                try {
                    session.setPersona(argument);
                    err.println(session.persona() == null ? "(persona removed)" : "(persona: " + session.persona() + ")");
                } catch (ChatSession.ContextOverflowException e) {
                    err.println("error: " + e.getMessage() + " (persona unchanged)");
                }
            }
            case "/help" -> err.println(HELP);
            default -> err.println("unknown command " + name + "; " + HELP);
        }
        return true;
    }

    /** Prints the reply to {@code text}; false when the message could not be answered. */
    private boolean reply(String text) {
        boolean answered = false;
        try {
            if (interactive) {
                session.send(text, new StrippedStream(out));
                out.println();
            } else {
                out.println(oneLine(session.send(text, null)));
            }
            answered = true;
        } catch (ChatSession.ContextOverflowException e) {
            err.println("error: " + e.getMessage());
            if (!interactive) {
                out.println(); // keep one output line per input line for scripts
            }
        }
        out.flush();
        return answered;
    }

    static String oneLine(String reply) {
        return reply.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }

    /**
     * Prints streamed reply text without its leading and trailing whitespace, matching the
     * stripped reply that joins the history: whitespace is held back until text follows it.
     */
    static final class StrippedStream implements java.util.function.Consumer<String> {
        private final PrintStream out;
        private final StringBuilder pendingSpace = new StringBuilder();
        private boolean started;

        StrippedStream(PrintStream out) {
            this.out = out;
        }

        @Override
        public void accept(String piece) {
            for (int i = 0; i < piece.length(); i++) {
                char c = piece.charAt(i);
                if (Character.isWhitespace(c)) {
                    if (started) {
                        pendingSpace.append(c);
                    }
                } else {
                    out.append(pendingSpace).append(c);
                    pendingSpace.setLength(0);
                    started = true;
                }
            }
            out.flush();
        }
    }
}
