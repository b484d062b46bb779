package dev.chatforge.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run folders with known metrics, as train and finetune write them: {@code pre} (a pre-training,
 * 8 steps, best validation loss 5.5 at step 4, an eval report) and {@code pre-ft} (a fine-tune
 * of {@code pre/best} at step 4, 2 steps).
 */
final class RunFixture {
    private RunFixture() {}

    static Path pretraining(Path root) {
        Path run = root.resolve("pre");
        write(run.resolve("metrics.jsonl"), """
                {"step":0,"val_loss":7.0,"elapsed_s":0.0}
                {"step":2,"train_loss":6.0,"lr":0.001,"grad_norm":1.5,"tokens_per_sec":1000,"elapsed_s":1.0,"tokens_seen":200}
                {"step":4,"train_loss":5.0,"lr":0.002,"grad_norm":1.2,"tokens_per_sec":1100,"elapsed_s":2.0,"tokens_seen":400,"val_loss":5.5}
                {"step":6,"train_loss":4.5,"lr":0.001,"grad_norm":1.0,"tokens_per_sec":1200,"elapsed_s":3.0,"tokens_seen":600}
                {"step":8,"train_loss":4.0,"lr":5.0E-4,"grad_norm":0.9,"tokens_per_sec":1300,"elapsed_s":4.0,"tokens_seen":800,"val_loss":5.6}
                """);
        write(run.resolve("manifest.json"), """
                {"stage":"train","config":{"data":"data/pre/tokens","model":"tiny","learning_rate":0.002,"max_steps":8},
                 "stats":{"step":8,"best_step":4,"best_val_loss":5.5}}
                """);
        write(run.resolve("latest/trainer_state.json"), """
                {"step":8,"tokens_seen":800,"run":{"stage":"train","config":{"learning_rate":0.002}}}
                """);
        write(run.resolve("best/trainer_state.json"), """
                {"step":4,"tokens_seen":400,"run":{"stage":"train"}}
                """);
        write(run.resolve("latest/config.json"), """
                {"n_layer":2,"n_head":2,"n_embd":32,"vocab_size":64,"n_positions":16}
                """);
        write(run.resolve("eval.json"), """
                {"checkpoint":"pre/best","step":4,"data":"data/pre/tokens","split":"val","tokens_scored":100,
                 "scored":"every token after the first","loss":5.5,"perplexity":244.69,"bits_per_byte":1.8125}
                """);
        return run;
    }

    static Path fineTune(Path root, Path parentRun) {
        Path run = root.resolve("pre-ft");
        write(run.resolve("metrics.jsonl"), """
                {"step":0,"val_loss":3.0,"elapsed_s":0.0}
                {"step":1,"train_loss":2.5,"lr":1.0E-4,"grad_norm":2.0,"tokens_per_sec":900,"elapsed_s":0.5,"tokens_seen":50}
                {"step":2,"train_loss":2.0,"lr":5.0E-5,"grad_norm":1.8,"tokens_per_sec":950,"elapsed_s":1.0,"tokens_seen":100,"val_loss":2.2}
                """);
        String parent = parentRun.resolve("best").toString().replace("\\", "\\\\");
        write(run.resolve("manifest.json"), """
                {"stage":"finetune","config":{"checkpoint":"%s","train_on":"agent","learning_rate":1.0E-4},
                 "stats":{"parent":"%s","parent_step":4,"step":2}}
                """.formatted(parent, parent));
        return run;
    }

    static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
