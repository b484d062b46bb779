package dev.chatforge.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.io.Json;
import dev.chatforge.io.Manifest;
import dev.chatforge.tokenizer.TokenFileWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Writes a folder shaped like the tokenize stage's output, for stage tests. */
public final class TokenizedFixture {
    private TokenizedFixture() {}

    /**
     * @param train, val  token ids per split ({@code val} may be null)
     * @param mask        loss mask for every split (null: none)
     * @param textBytes   UTF-8 bytes recorded per split
     */
    public static Path write(Path dir, int vocab, int[] train, int[] val, byte[] mask, long textBytes, String tokenizerJson)
            throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("tokenizer.json"), tokenizerJson);
        ObjectNode stats = Json.MAPPER.createObjectNode();
        stats.put("vocab_size", vocab);
        stats.put("template", "turns");
        stats.put("has_loss_mask", mask != null);
        ObjectNode splits = stats.putObject("splits");
        List<Manifest.FileEntry> outputs = new ArrayList<>();
        outputs.add(Manifest.FileEntry.of(dir.resolve("tokenizer.json"), dir));
        for (String split : new String[] {"train", "val"}) {
            int[] ids = split.equals("train") ? train : val;
            if (ids == null) {
                continue;
            }
            Path file = dir.resolve(split + ".bin");
            try (TokenFileWriter writer = new TokenFileWriter(file, vocab, mask != null)) {
                writer.write(ids, 0, ids.length, mask);
                writer.finish();
            }
            splits.putObject(split).put("file", split + ".bin").put("tokens", ids.length).put("text_bytes", textBytes)
                    .put("records", 1);
            outputs.add(Manifest.FileEntry.of(file, dir));
        }
        Manifest.create("tokenize", List.of(), Json.MAPPER.createObjectNode(), stats, outputs).writeTo(dir);
        return dir;
    }
}
