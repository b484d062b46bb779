package dev.chatforge.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Utf8Test {
    /** The JDK's strict decoder is the reference: it rejects overlong forms, surrogates and bytes past U+10FFFF. */
    private static boolean jdkAccepts(byte[] b, int off, int len) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b, off, len));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    @Test
    void agreesWithTheStrictJdkDecoderOnRandomMostlyAsciiBytes() {
        SplittableRandom random = new SplittableRandom(11);
        byte[][] pieces = {"a".getBytes(StandardCharsets.UTF_8), "é".getBytes(StandardCharsets.UTF_8),
                "€".getBytes(StandardCharsets.UTF_8), "😀".getBytes(StandardCharsets.UTF_8),
                {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
                {(byte) 0x80}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0xFF}};
        for (int n = 0; n < 20_000; n++) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            for (int k = random.nextInt(40); k > 0; k--) {
                int pick = random.nextInt(100);
                out.writeBytes(pick < 85 ? pieces[0] : pieces[1 + (pick - 85) % (pieces.length - 1)]);
            }
            byte[] b = out.toByteArray();
            int off = b.length == 0 ? 0 : random.nextInt(b.length);
            int len = b.length - off;
            assertEquals(jdkAccepts(b, off, len), Utf8.isValid(b, off, len), () -> java.util.HexFormat.of().formatHex(b, off, off + len));
        }
    }
}
