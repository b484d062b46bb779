package dev.chatforge.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Splits a byte stream into lines without decoding it, so JSON lines go to the parser as bytes
 * and every line can be checked for valid UTF-8 with its number. A line ends at {@code \n};
 * a {@code \r} before it is dropped. Much faster than a {@code BufferedReader}, which would
 * decode leniently (replacing bad bytes) and hide invalid UTF-8. A line longer than the maximum
 * is skipped without being held in memory: {@link #isTooLong()} says so and {@link #length()}
 * gives its size.
 */
final class LineReader {
    private final InputStream in;
    private final long maxLineBytes;
    /** Whether a line over the maximum is returned in pieces (else skipped). */
    private final boolean pieces;
    private boolean tooLong;
    /** The current piece is not the end of its line: the next piece continues it. */
    private boolean continues;
    private boolean midLine;
    private byte[] buf = new byte[1 << 20];
    private int limit;      // bytes valid in buf
    private int pos;        // start of the next line
    private boolean eof;
    private boolean started;

    private int start;
    private int length;
    private long lineNumber;

    LineReader(InputStream in) {
        this(in, Long.MAX_VALUE);
    }

    LineReader(InputStream in, long maxLineBytes) {
        this(in, maxLineBytes, false);
    }

    /**
     * With {@code pieces}, a line longer than {@code maxLineBytes} comes as several pieces of at
     * most that many bytes, cut after the last space or tab in the last quarter of the limit,
     * else at a UTF-8 character boundary; {@link #continues()} is true for all but the last.
     */
    LineReader(InputStream in, long maxLineBytes, boolean pieces) {
        this.in = in;
        this.maxLineBytes = maxLineBytes;
        this.pieces = pieces;
    }

    /** Advances to the next line; false at the end of the input. */
    boolean next() throws IOException {
        tooLong = false;
        continues = false;
        while (true) {
            for (int i = pos; i < limit; i++) {
                if (buf[i] == '\n') {
                    if (pieces && i - pos > maxLineBytes) {
                        piece();
                        return true;
                    }
                    endLine(i);
                    pos = i + 1;
                    return true;
                }
            }
            if (pieces && limit - pos > maxLineBytes) {
                piece();
                return true;
            }
            if (limit - pos > maxLineBytes) {
                skipLongLine();
                return true;
            }
            if (eof) {
                if (pos < limit) {  // a last line without a final newline
                    endLine(limit);
                    pos = limit;
                    return true;
                }
                return false;
            }
            fill();
        }
    }

    /** The first piece of the long line at {@code pos}, which continues after it. */
    private void piece() {
        int end = (int) (pos + maxLineBytes);
        int cut = end;
        for (int j = end - 1; j >= pos + Math.max(1, maxLineBytes * 3 / 4); j--) {
            if (buf[j] == ' ' || buf[j] == '\t') {
                cut = j + 1;
                break;
            }
        }
        if (cut == end) {
            while (cut > pos + 1 && (buf[cut] & 0xC0) == 0x80) {
                cut--; // not inside a character: its continuation bytes go with it
            }
        }
        boolean first = !midLine;
        start = pos;
        length = cut - pos;
        if (first) {
            lineNumber++;
        }
        midLine = true;
        continues = true;
        pos = cut;
    }

    /** True when the current line is a piece of a longer line that the next piece continues. */
    boolean continues() {
        return continues;
    }

    private void endLine(int newline) {
        if (newline - pos > maxLineBytes) {
            markTooLong(newline - pos);
        } else {
            setLine(pos, newline);
        }
    }

    /** Reads past the rest of a line over the maximum, keeping only its length. */
    private void skipLongLine() throws IOException {
        long skipped = limit - pos;
        pos = limit;
        while (true) {
            for (int i = pos; i < limit; i++) {
                if (buf[i] == '\n') {
                    skipped += i - pos;
                    pos = i + 1;
                    markTooLong(skipped);
                    return;
                }
            }
            skipped += limit - pos;
            pos = limit;
            if (eof) {
                markTooLong(skipped);
                return;
            }
            fill();
        }
    }

    private void markTooLong(long bytes) {
        tooLong = true;
        start = pos;
        length = (int) Math.min(Integer.MAX_VALUE, bytes);
        lineNumber++;
    }

    /** True when the current line was longer than the maximum and skipped: its bytes are gone. */
    boolean isTooLong() {
        return tooLong;
    }

    private void setLine(int from, int newline) {
        int end = newline;
        if (end > from && buf[end - 1] == '\r') {
            end--;
        }
        start = from;
        length = end - from;
        if (!midLine) {
            lineNumber++;
        }
        midLine = false;
    }

    /** Moves the unread tail to the front (growing the buffer for a very long line) and reads more. */
    private void fill() throws IOException {
        int unread = limit - pos;
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, unread);
        } else if (unread == buf.length) {
            buf = Arrays.copyOf(buf, buf.length * 2);
        }
        pos = 0;
        limit = unread;
        int n = in.read(buf, limit, buf.length - limit);
        if (n < 0) {
            eof = true;
        } else {
            limit += n;
        }
        if (!started && (limit >= 3 || eof)) {
            started = true;
            // A UTF-8 byte order mark (as Excel and Notepad write) is not part of the first line.
            if (limit >= 3 && buf[0] == (byte) 0xEF && buf[1] == (byte) 0xBB && buf[2] == (byte) 0xBF) {
                pos = 3;
            }
        }
    }

    /** 1-based number of the current line. */
    long lineNumber() {
        return lineNumber;
    }

    byte[] buffer() {
        return buf;
    }

    int start() {
        return start;
    }

    int length() {
        return length;
    }

    boolean isValidUtf8() {
        return Utf8.isValid(buf, start, length);
    }

    /** The current line as text; invalid bytes become U+FFFD, so check {@link #isValidUtf8()} first. */
    String text() {
        return new String(buf, start, length, StandardCharsets.UTF_8);
    }

    /** True when the line is empty or only spaces and tabs. */
    boolean isBlank() {
        if (tooLong) {
            return false;
        }
        for (int i = start, end = start + length; i < end; i++) {
            byte b = buf[i];
            if (b != ' ' && b != '\t') {
                return false;
            }
        }
        return true;
    }
}
