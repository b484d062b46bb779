package dev.chatforge.cli;

import dev.chatforge.bench.GenerateBench;
import dev.chatforge.bench.HashBench;
import dev.chatforge.bench.PrepareBench;
import dev.chatforge.bench.TokenizerBench;
import dev.chatforge.bench.TrainBench;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * `chatforge bench <what>`: the speed and memory figures the project promises, measured on this
 * machine (never in unit tests, whose timings would depend on the load of the machine).
 * Arguments after the benchmark's name go to it unchanged.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure speed and memory: prepare MB/s, tokenizer training and encoding, training and eval tokens/s, generation with and without the KV cache.",
        subcommands = {BenchCommand.Prepare.class, BenchCommand.Tokenize.class, BenchCommand.Train.class,
                BenchCommand.Generate.class, BenchCommand.Hash.class})
public class BenchCommand {

    /** Shared shape of a benchmark subcommand: pass the remaining arguments through. */
    abstract static class Bench implements Callable<Integer> {
        @Unmatched
        List<String> args = new ArrayList<>();

        abstract void run(String[] arguments) throws Exception;

        @Override
        public Integer call() throws Exception {
            run(args.toArray(String[]::new));
            return 0;
        }
    }

    @Command(name = "prepare", description = "Prepare stage throughput on a synthetic JSONL file. Args: [--redact] [MB | FILE.jsonl] (default 200 MB; --redact: redaction, block list and spam filters on).")
    static class Prepare extends Bench {
        @Override
        void run(String[] arguments) {
            PrepareBench.run(arguments);
        }
    }

    @Command(name = "hash", description = "SHA-256 check of a token file at a stage's start: full hash MB/s and the cached lookup. Args: [--mb N] (default 1024).")
    static class Hash extends Bench {
        @Override
        void run(String[] arguments) {
            HashBench.run(arguments);
        }
    }

    @Command(name = "tokenize", description = "BPE training time and token-file encoding MB/s. Args: [--mb N] [--vocab N] [--threads N] [--repeat N] [--input FILE...].")
    static class Tokenize extends Bench {
        @Override
        void run(String[] arguments) throws Exception {
            TokenizerBench.run(arguments);
        }
    }

    @Command(name = "train", description = "Training and eval tokens/s, RSS over a long run, MFU. Args: [--steps N] [--large-steps N] [--device cpu|gpu] [--preset NAME [--block-size N] [--batch N]] [--dropout P] [--activation gelu|gelu_new] [--precision auto|fp32|bf16] [--profile FILE] (e.g. --preset gpt2: 124M, block 256, batch 4, with checkpoint save time and peak RSS).")
    static class Train extends Bench {
        @Override
        void run(String[] arguments) {
            TrainBench.run(arguments);
        }
    }

    @Command(name = "generate", description = "Generation tokens/s with and without the KV cache. Args: [--preset tiny] [--tokens 200] [--block-size N|preset] [--precision auto|fp32|bf16] [--cached-only].")
    static class Generate extends Bench {
        @Override
        void run(String[] arguments) {
            GenerateBench.run(arguments);
        }
    }
}
