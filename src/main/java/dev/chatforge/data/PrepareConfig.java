package dev.chatforge.data;

import dev.chatforge.config.Checks;
import dev.chatforge.config.StageConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code prepare:} section. Every default is in {@link #defaults()}.
 *
 * @param inputs        files or folders to read, each with an optional format and CSV columns
 * @param output        the folder to write train.jsonl, val.jsonl and manifest.json into
 * @param overwrite     replace an existing output folder (same as --force)
 * @param strict        stop at the first bad record instead of skipping it
 * @param reportFirst   how many skipped bad records to show with file:line (all are counted)
 * @param cleaning      the cleaning steps, each switchable
 * @param minChars      drop records shorter than this (after cleaning; a conversation counts all turns)
 * @param maxChars      drop records longer than this; 0 = no limit
 * @param dedup         drop exact duplicates (after cleaning), keeping the first
 * @param valFraction   share of records that go to val.jsonl
 * @param seed          seed of the split: another seed gives another (equally stable) split
 */
public record PrepareConfig(
        List<InputSpec> inputs,
        Path output,
        boolean overwrite,
        boolean strict,
        int reportFirst,
        CleaningConfig cleaning,
        int minChars,
        int maxChars,
        boolean dedup,
        double valFraction,
        long seed) implements StageConfig {

    public PrepareConfig {
        inputs = inputs == null ? List.of() : List.copyOf(inputs);
        cleaning = cleaning == null ? CleaningConfig.defaults() : cleaning;
    }

    public static PrepareConfig defaults() {
        return new PrepareConfig(List.of(), Path.of("data/prepared"), false, false, 5,
                CleaningConfig.defaults(), 1, 0, true, 0.05, 1234);
    }

    /** The defaults with the given inputs and output: what tests and the benchmark start from. */
    public static PrepareConfig of(Path output, InputSpec... inputs) {
        return defaults().withInputs(List.of(inputs)).withOutput(output);
    }

    public PrepareConfig withInputs(List<InputSpec> newInputs) {
        return new PrepareConfig(newInputs, output, overwrite, strict, reportFirst, cleaning, minChars, maxChars, dedup,
                valFraction, seed);
    }

    public PrepareConfig withOutput(Path newOutput) {
        return new PrepareConfig(inputs, newOutput, overwrite, strict, reportFirst, cleaning, minChars, maxChars, dedup,
                valFraction, seed);
    }

    public PrepareConfig withStrict(boolean newStrict) {
        return new PrepareConfig(inputs, output, overwrite, newStrict, reportFirst, cleaning, minChars, maxChars, dedup,
                valFraction, seed);
    }

    public PrepareConfig withCleaning(CleaningConfig newCleaning) {
        return new PrepareConfig(inputs, output, overwrite, strict, reportFirst, newCleaning, minChars, maxChars, dedup,
                valFraction, seed);
    }

    public PrepareConfig withLengths(int newMinChars, int newMaxChars) {
        return new PrepareConfig(inputs, output, overwrite, strict, reportFirst, cleaning, newMinChars, newMaxChars, dedup,
                valFraction, seed);
    }

    public PrepareConfig withDedup(boolean newDedup) {
        return new PrepareConfig(inputs, output, overwrite, strict, reportFirst, cleaning, minChars, maxChars, newDedup,
                valFraction, seed);
    }

    public PrepareConfig withSplit(double newValFraction, long newSeed) {
        return new PrepareConfig(inputs, output, overwrite, strict, reportFirst, cleaning, minChars, maxChars, dedup,
                newValFraction, newSeed);
    }

    @Override
    public void validate(Checks checks) {
        checks.required("inputs", inputs);
        for (int i = 0; i < inputs.size(); i++) {
            InputSpec in = inputs.get(i);
            if (in == null) {
                checks.fail("inputs[" + i + "]", "is empty; give at least a path");
                continue;
            }
            checks.required("inputs[" + i + "].path", in.path());
            checks.check(!in.userColumn().isBlank(), "inputs[" + i + "].user_column", "must not be empty");
            checks.check(!in.agentColumn().isBlank(), "inputs[" + i + "].agent_column", "must not be empty");
            checks.check(in.maxLineBytes() >= 1 && in.maxLineBytes() <= Integer.MAX_VALUE - 16, "inputs[" + i + "].max_line_bytes",
                    "must be in [1, 2147483631], got " + in.maxLineBytes());
            checks.check(in.maxRecordBytes() >= 4 && in.maxRecordBytes() <= Integer.MAX_VALUE - 16,
                    "inputs[" + i + "].max_record_bytes", "must be in [4, 2147483631], got " + in.maxRecordBytes());
            checks.oneOf("inputs[" + i + "].long_records", in.longRecords(), InputSpec.LONG_RECORDS);
        }
        checks.required("output", output == null ? null : output.toString());
        checks.check(reportFirst >= 0, "report_first", "must be >= 0, got " + reportFirst);
        checks.check(minChars >= 0, "min_chars", "must be >= 0, got " + minChars);
        checks.check(maxChars >= 0, "max_chars", "must be >= 0 (0 = no limit), got " + maxChars);
        checks.check(maxChars == 0 || maxChars >= minChars, "max_chars",
                "must be >= min_chars (" + minChars + ") or 0 for no limit, got " + maxChars);
        checks.check(valFraction >= 0 && valFraction < 1, "val_fraction", "must be in [0, 1), got " + valFraction);
        cleaning.validate(checks);
    }
}
