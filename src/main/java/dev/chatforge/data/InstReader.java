package dev.chatforge.data;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Text tagged with instruction tokens, the seed's dialogue format:
 * <pre>
 * [INST] Where is my order? [/INST] Let me check that for you.
 * [INST] It was #1234. [/INST] It ships tomorrow.
 *
 * [INST] next conversation ... [/INST] ...
 * </pre>
 * Text inside {@code [INST] … [/INST]} is a user turn; the text after it, up to the next
 * {@code [INST]}, is the agent's reply. Turns may span lines. <b>A blank line ends a
 * conversation</b>, except inside an open {@code [INST] … [/INST]} (a user turn may hold
 * paragraphs); so an agent reply cannot contain an empty line. Llama-2 markers are understood:
 * {@code <s>} and {@code </s>} are dropped (so {@code <s>[INST] a [/INST] b </s><s>[INST] …} is
 * one conversation), and {@code <<SYS>> … <</SYS>>} at the start of the first user turn
 * becomes a system turn.
 */
final class InstReader implements RawReader {
    static final String OPEN = "[INST]";
    static final String CLOSE = "[/INST]";
    private static final String SYS_OPEN = "<<SYS>>";
    private static final String SYS_CLOSE = "<</SYS>>";

    @Override
    public void read(InputStream in, String name, RecordSink sink) throws IOException {
        LineReader lines = new LineReader(in);
        Block block = new Block();
        boolean blankInsideTurn = false;
        while (lines.next()) {
            if (lines.isBlank()) {
                if (block.openInst > 0) {
                    blankInsideTurn = true;  // maybe a paragraph break in a user turn (e.g. after <</SYS>>)
                } else {
                    block.flush(name, sink);
                }
                continue;
            }
            String text = lines.isValidUtf8() ? lines.text() : null;
            if (blankInsideTurn) {
                blankInsideTurn = false;
                // A blank line and then a new [INST]: the open one was never closed; end its conversation
                // here so the next one is not lost with it.
                String head = text == null ? "" : text.stripLeading();
                if (head.startsWith(OPEN) || head.startsWith("<s>")) {
                    block.flush(name, sink);
                } else {
                    block.addLine(lines.lineNumber() - 1, "");
                }
            }
            if (text == null) {
                if (block.badLine == 0) {
                    block.badLine = lines.lineNumber();
                }
                text = "";
            }
            block.addLine(lines.lineNumber(), text);
        }
        block.flush(name, sink);
    }

    /** The lines of one conversation, with where each starts so a problem can name its line. */
    private static final class Block {
        final StringBuilder text = new StringBuilder();
        long[] lineNumbers = new long[16];
        int[] lineOffsets = new int[16];
        int count;
        long badLine;
        int openInst;  // [INST] minus [/INST] so far: > 0 while a user turn is open

        void addLine(long number, String line) {
            if (count == lineNumbers.length) {
                lineNumbers = Arrays.copyOf(lineNumbers, count * 2);
                lineOffsets = Arrays.copyOf(lineOffsets, count * 2);
            }
            if (count > 0) {
                text.append('\n');
            }
            lineNumbers[count] = number;
            lineOffsets[count] = text.length();
            count++;
            text.append(line);
            openInst = Math.max(0, openInst + occurrences(line, OPEN) - occurrences(line, CLOSE));
        }

        private static int occurrences(String line, String token) {
            int n = 0;
            for (int i = line.indexOf(token); i >= 0; i = line.indexOf(token, i + token.length())) {
                n++;
            }
            return n;
        }

        long lineAt(int offset) {
            int i = Arrays.binarySearch(lineOffsets, 0, count, offset);
            return lineNumbers[i >= 0 ? i : -i - 2];
        }

        void flush(String name, RecordSink sink) {
            if (count == 0) {
                return;
            }
            if (badLine != 0) {
                sink.problem(new Problem(DropReason.INVALID_UTF8, name, badLine, "invalid UTF-8 (conversation skipped)"));
            } else {
                Object parsed = parse(text.toString(), this);
                if (parsed instanceof Problem p) {
                    sink.problem(new Problem(p.reason(), name, p.line(), p.detail()));
                } else {
                    @SuppressWarnings("unchecked")
                    List<Turn> turns = (List<Turn>) parsed;
                    sink.record(Record.conversation(null, name + ":" + lineNumbers[0], turns));
                }
            }
            text.setLength(0);
            count = 0;
            badLine = 0;
            openInst = 0;
        }
    }

    /** Parses one conversation into turns, or returns a Problem (file left blank) naming the line. */
    private static Object parse(String s, Block block) {
        List<Turn> turns = new ArrayList<>();
        int pos = 0;
        while (true) {
            pos = skipMarkersAndSpace(s, pos);
            if (pos >= s.length()) {
                break;
            }
            if (!s.startsWith(OPEN, pos)) {
                String what = s.startsWith(CLOSE, pos) ? CLOSE + " without a preceding " + OPEN
                        : "text outside [INST] … [/INST] before the first " + OPEN;
                return new Problem(DropReason.MALFORMED_INST, null, block.lineAt(pos), what);
            }
            int open = pos;
            int userStart = open + OPEN.length();
            int close = s.indexOf(CLOSE, userStart);
            int nextOpen = s.indexOf(OPEN, userStart);
            if (close < 0 || (nextOpen >= 0 && nextOpen < close)) {
                return new Problem(DropReason.UNCLOSED_INST, null, block.lineAt(open), OPEN + " without a matching " + CLOSE);
            }
            String user = s.substring(userStart, close).strip();
            if (turns.isEmpty() && user.startsWith(SYS_OPEN)) {
                int sysEnd = user.indexOf(SYS_CLOSE);
                if (sysEnd < 0) {
                    return new Problem(DropReason.MALFORMED_INST, null, block.lineAt(open), SYS_OPEN + " without a matching " + SYS_CLOSE);
                }
                turns.add(new Turn(Role.SYSTEM, user.substring(SYS_OPEN.length(), sysEnd).strip()));
                user = user.substring(sysEnd + SYS_CLOSE.length()).strip();
            }
            int agentStart = close + CLOSE.length();
            int agentEnd = nextOpen < 0 ? s.length() : nextOpen;
            String agent = s.substring(agentStart, agentEnd);
            int stray = agent.indexOf(CLOSE);
            if (stray >= 0) {
                return new Problem(DropReason.MALFORMED_INST, null, block.lineAt(agentStart + stray),
                        CLOSE + " without a preceding " + OPEN);
            }
            turns.add(new Turn(Role.USER, user));
            turns.add(new Turn(Role.AGENT, agent.replace("</s>", "").replace("<s>", "").strip()));
            pos = agentEnd;
        }
        return turns;
    }

    private static int skipMarkersAndSpace(String s, int pos) {
        while (pos < s.length()) {
            if (Character.isWhitespace(s.charAt(pos))) {
                pos++;
            } else if (s.startsWith("<s>", pos)) {
                pos += 3;
            } else if (s.startsWith("</s>", pos)) {
                pos += 4;
            } else {
                break;
            }
        }
        return pos;
    }
}
