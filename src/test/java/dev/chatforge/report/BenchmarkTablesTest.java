package dev.chatforge.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chatforge.io.StageInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchmarkTablesTest {
    @TempDir
    Path dir;

    static void benchmarkReport(Path run, String file, String acc, String accNorm) {
        RunFixture.write(run.resolve(file), """
                {"checkpoint":"x/best","benchmark":"hellaswag","split":"val","benchmark_data":"hs.jsonl","items":12,
                 "acc":%s,"acc_norm":%s,"published":[{"metric":"acc","value":0.2859,"source":"llm.c hellaswag.py, GPT-2 124M, completion style"},
                 {"metric":"acc_norm","value":0.2955,"source":"llm.c hellaswag.py, GPT-2 124M, completion style"}]}
                """.formatted(acc, accNorm));
    }

    static void answers(Path run, String generatedFirst, double rouge) {
        RunFixture.write(run.resolve("eval-support.json"), """
                {"checkpoint":"x/best","data":"d","split":"val","tokens_scored":10,"loss":1.0,"perplexity":2.718,
                 "answers":{"turns":2,"rouge_l":%s,"token_f1":0.5,"exact_match":0.0,"file":"answers-support.jsonl"}}
                """.formatted(rouge));
        RunFixture.write(run.resolve("answers-support.jsonl"), """
                {"record":"r1","turn":1,"context":[{"role":"user","content":"where is my <order>?"}],"reference":"it ships today","generated":"%s","rouge_l":%s}
                {"record":"r2","turn":1,"context":[{"role":"user","content":"refund?"}],"reference":"yes within 30 days","generated":"no","rouge_l":0.0}
                """.formatted(generatedFirst, rouge));
    }

    @Test
    void benchmarkFiguresOfEachRunSitBesideThePublishedOnesAndAnswersSideBySide() throws Exception {
        Path pre = RunFixture.pretraining(dir);
        Path ft = RunFixture.fineTune(dir, pre);
        benchmarkReport(pre, "eval-hellaswag.json", "0.25", "0.3333");
        benchmarkReport(ft, "eval-hellaswag.json", "0.5", "0.4167");
        answers(pre, "the weather is nice", 0.0);
        answers(ft, "it ships tomorrow", 0.6667);
        RunReport.write(List.of(pre, ft), dir.resolve("out"), false);
        String html = Files.readString(dir.resolve("out/report.html"));

        String bench = html.substring(html.indexOf("<h2>Benchmarks</h2>"), html.indexOf("<h2>Answers side by side</h2>"));
        assertTrue(bench.contains("<th>acc</th><th>acc_norm</th>"), bench);
        assertTrue(bench.contains(">0.2500<br><small>published 0.2859<br>llm.c hellaswag.py, GPT-2 124M, completion style"), bench);
        assertTrue(bench.contains(">0.4167<br><small>published 0.2955"), bench);
        assertEquals(2, bench.split("<code>eval-hellaswag.json</code>", -1).length - 1, "one row per run");

        String side = html.substring(html.indexOf("<h2>Answers side by side</h2>"));
        assertTrue(side.contains("answering the same 2 turns"), side);
        assertTrue(side.contains("<td>where is my &lt;order&gt;?</td><td>it ships today</td><td>the weather is nice</td>"
                + "<td class=\"num\">0.0000</td><td>it ships tomorrow</td><td class=\"num\">0.6667</td>"), side);
        assertTrue(html.contains("0.6667 / 0.5000 / 0.0000"), "the means in the run's evaluations table");
        assertFalse(html.contains("<script"), "text from answers is escaped, never markup");
    }

    @Test
    void aSingleRunWithAnswersHasNoSideBySideAndAMissingAnswersFileIsNamed() throws Exception {
        Path pre = RunFixture.pretraining(dir);
        answers(pre, "x", 0.0);
        RunReport.write(List.of(pre), dir.resolve("one"), false);
        assertFalse(Files.readString(dir.resolve("one/report.html")).contains("Answers side by side"));

        Path ft = RunFixture.fineTune(dir, pre);
        answers(ft, "y", 0.0);
        Files.delete(ft.resolve("answers-support.jsonl"));
        StageInputException e = assertThrows(StageInputException.class,
                () -> RunReport.write(List.of(pre, ft), dir.resolve("two"), false));
        assertTrue(e.getMessage().contains("answers-support.jsonl: not found"), e.getMessage());
    }
}
