package dev.chatforge.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Redaction and content filters through the whole prepare stage: output text, manifest counts, dry run. */
class PrepareCleaningTest {
    @TempDir
    Path tmp;

    private Path input() throws IOException {
        Path file = tmp.resolve("raw/chats.jsonl");
        Files.createDirectories(file.getParent());
        Files.writeString(file, String.join("\n",
                "{\"user\": \"My email is jane.doe@example.com, card 4111 1111 1111 1111.\", \"agent\": \"Thanks, order #21265 is noted.\"}",
                "{\"user\": \"Call me on +44 20 7946 0958 or (555) 123-4567\", \"agent\": \"Will do on 2024-01-15 at 12:30.\"}",
                "{\"user\": \"IBAN DE89 3704 0044 0532 0130 00 please\", \"agent\": \"Refund of $49.90 sent to it.\"}",
                "{\"user\": \"You scammers!\", \"agent\": \"Sorry you feel that way.\"}",
                "{\"user\": \"Where is my order?\", \"agent\": \"It left the warehouse, version 2.1.3 of the app shows it.\"}",
                "") );
        return file;
    }

    private static List<Record> written(Path out) throws IOException {
        List<Record> all = new ArrayList<>(PrepareStageTest.readRecords(out.resolve("train.jsonl")));
        all.addAll(PrepareStageTest.readRecords(out.resolve("val.jsonl")));
        return all;
    }

    private static String allText(List<Record> records) {
        StringBuilder s = new StringBuilder();
        for (Record r : records) {
            r.messages().forEach(t -> s.append(t.content()).append('\n'));
        }
        return s.toString();
    }

    @Test
    void redactsIntoPlaceholdersAndCountsByTypeInTheManifest() throws IOException {
        Path out = tmp.resolve("prepared");
        CleaningConfig cleaning = CleaningConfig.defaults().withRedact(List.of("email", "phone", "card", "iban", "ip", "url"));
        PrepareStage.run(PrepareConfig.of(out, InputSpec.of(input().toString())).withCleaning(cleaning), false);

        String text = allText(written(out));
        assertTrue(text.contains("My email is <email>, card <card>."), text);
        assertTrue(text.contains("Call me on <phone> or <phone>"), text);
        assertTrue(text.contains("IBAN <iban> please"), text);
        for (String kept : List.of("#21265", "2024-01-15 at 12:30", "$49.90", "2.1.3")) {
            assertTrue(text.contains(kept), kept + " must not be redacted: " + text);
        }
        for (String gone : List.of("jane", "4111", "7946", "DE89")) {
            assertFalse(text.contains(gone), gone + " must be gone: " + text);
        }
        JsonNode stats = PrepareStageTest.checkManifest(out);
        JsonNode byType = stats.get("redacted_by_type");
        assertEquals(1, byType.get("email").asLong());
        assertEquals(2, byType.get("phone").asLong());
        assertEquals(1, byType.get("card").asLong());
        assertEquals(1, byType.get("iban").asLong());
        assertEquals(0, byType.get("ip").asLong());
        assertEquals(0, byType.get("url").asLong());
    }

    @Test
    void blockListDropsCountedAsBlockedOrMasks() throws IOException {
        Path list = tmp.resolve("block.txt");
        Files.writeString(list, "scam*\n/scam\\w*/\n");
        Path dropped = tmp.resolve("dropped");
        PrepareStage.run(PrepareConfig.of(dropped, InputSpec.of(input().toString()))
                .withCleaning(CleaningConfig.defaults().withBlockList(list.toString(), "drop")), false);
        JsonNode stats = PrepareStageTest.checkManifest(dropped);
        assertEquals(1, stats.get("dropped_by_reason").get("blocked").asLong());
        assertEquals(4, stats.get("records_kept").asLong());
        assertFalse(allText(written(dropped)).contains("scammers"));

        Path masked = tmp.resolve("masked");
        PrepareStage.run(PrepareConfig.of(masked, InputSpec.of(input().toString()))
                .withCleaning(CleaningConfig.defaults().withBlockList(list.toString(), "mask")), false);
        JsonNode maskedStats = PrepareStageTest.checkManifest(masked);
        assertEquals(0, maskedStats.get("dropped_by_reason").get("blocked").asLong());
        assertEquals(5, maskedStats.get("records_kept").asLong());
        assertEquals(1, maskedStats.get("block_list_masked").asLong());
        assertTrue(allText(written(masked)).contains("You ***!"));
    }

    @Test
    void dryRunCountsButWritesNothing() throws IOException {
        Path out = tmp.resolve("prepared");
        CleaningConfig cleaning = CleaningConfig.defaults().withRedact(List.of("email", "phone", "card", "iban"));
        PrepareStage.Result result = PrepareStage.dryRun(PrepareConfig.of(out, InputSpec.of(input().toString()))
                .withCleaning(cleaning), 10);
        assertEquals(5, result.train() + result.val());
        assertFalse(Files.exists(out), "the dry run writes no output");
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of("raw"), left.map(p -> p.getFileName().toString()).toList(), "and no temporary folder");
        }
    }
}
