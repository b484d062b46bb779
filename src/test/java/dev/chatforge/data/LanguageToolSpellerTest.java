package dev.chatforge.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spelling correction through LanguageTool; compiled and run only in the -Pspelling build. */
class LanguageToolSpellerTest {
    @TempDir
    Path tmp;

    @Test
    void correctsMisspeltWordsAndCountsThem() {
        SpellingCorrector speller = SpellingCorrector.load("en-US");
        CleaningTally tally = new CleaningTally(false);
        assertEquals("I received the package yesterday.", speller.correct("I recieved the pakage yesterday.", tally));
        assertEquals(2, tally.corrected());
        String clean = "Order #21265 will arrive on Thursday. Email <email> or call <phone>.";
        assertEquals(clean, speller.correct(clean, tally), "numbers and placeholders are left alone");
        String codes = "Use the code FREESHIP or THANKYOU10 at checkout.";
        assertEquals(codes, speller.correct(codes, tally), "codes in capitals or with digits are not words to correct");
    }

    @Test
    void britishEnglishKeepsBritishSpellings() {
        CleaningTally tally = new CleaningTally(false);
        String british = "Pay in instalments; the colour is grey.";
        assertEquals(british, SpellingCorrector.load("en-GB").correct(british, tally));
        assertEquals("Pay in installments; the color is gray.", SpellingCorrector.load("en-US").correct(british, tally));
    }

    @Test
    void appliesOnlyToTheConfiguredTurns() throws IOException {
        Path in = tmp.resolve("pairs.jsonl");
        Files.writeString(in, "{\"user\": \"Where is my pakage?\", \"agent\": \"Your pakage left today.\"}\n");
        Path out = tmp.resolve("out");
        PrepareStage.run(PrepareConfig.of(out, InputSpec.of(in.toString())).withSplit(0, 1)
                .withCleaning(CleaningConfig.defaults().withSpelling("user")), false);
        List<Record> records = new ArrayList<>(PrepareStageTest.readRecords(out.resolve("train.jsonl")));
        assertEquals("Where is my package?", records.get(0).messages().get(0).content());
        assertEquals("Your pakage left today.", records.get(0).messages().get(1).content(), "agent turns untouched");
        assertTrue(PrepareStageTest.checkManifest(out).get("spelling_corrected").asLong() == 1);
    }
}
