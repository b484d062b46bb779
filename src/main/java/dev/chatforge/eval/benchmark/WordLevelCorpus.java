package dev.chatforge.eval.benchmark;

import ai.djl.basicdataset.BasicDatasets;
import ai.djl.basicdataset.nlp.PennTreebankText;
import ai.djl.basicdataset.nlp.WikiText2;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.Repository;
import ai.djl.training.dataset.Dataset;
import ai.djl.util.Utils;
import dev.chatforge.io.StageInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The text of a word-level language-modelling benchmark (WikiText-2, Penn Treebank) as
 * djl-basicdataset provides it, with what word perplexity and bits per byte divide by.
 *
 * <p>From a local folder (what a user unzipped) the files are served to DJL through
 * {@link LocalDatasetRepository}, which works with DJL offline; without one DJL's own
 * repository downloads them (DJL_OFFLINE=false) into its cache.
 *
 * <p>Counting follows lm-evaluation-harness's wikitext task: WikiText is split into articles at
 * their level-1 headings, each article de-tokenized for the model ({@link WikitextDetokenizer}),
 * while words ({@code len(re.split(r"\s+", page))}) and UTF-8 bytes are counted on the original
 * text. The articles are scored as one stream (GPT-2's paper and Hugging Face's guide do; the
 * harness restarts the context at each article). PTB is scored as DJL gives it (lower-cased,
 * {@code <unk>} and {@code N} kept; the GPT-2 paper de-tokenized it), one sentence a line.
 *
 * @param scored the text the model reads
 * @param words  words of the original text
 * @param bytes  UTF-8 bytes of the original text
 * @param file   where it was read from
 * @param items  articles (WikiText) or lines (PTB)
 */
record WordLevelCorpus(String scored, long words, long bytes, Path file, int items) {
    private static final Pattern WHITESPACE = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);
    /** A level-1 heading line of WikiText: " = Title = " (a level-2 one is " = = Title = = "). */
    private static final Pattern ARTICLE_HEADING = Pattern.compile("^ = [^=].* = $");

    static WordLevelCorpus load(Benchmark benchmark, Path folder, String split) {
        Dataset.Usage usage = usage(split);
        Repository repository = repository(benchmark, folder, split);
        try {
            if (benchmark == Benchmark.WIKITEXT2) {
                Path file = WikiText2.builder().optRepository(repository).optUsage(usage).build().getData();
                if (!Files.isRegularFile(file)) {
                    throw new StageInputException(file + ": not found (DJL's WikiText2 found no " + fileName(benchmark, split) + ")");
                }
                return wikitext(Files.readString(file, StandardCharsets.UTF_8), file);
            }
            try (NDManager manager = Engine.getInstance().newBaseManager()) {
                PennTreebankText ptb = PennTreebankText.builder().optRepository(repository).optUsage(usage)
                        .optManager(manager).setSampling(1, false).build(); // a sampler is required, never used
                ptb.prepare(null);
                List<String> lines = new ArrayList<>();
                for (long i = 0; i < ptb.size(); i++) {
                    lines.add(ptb.getRawText(i, true));
                }
                Path file = folder == null ? Path.of("DJL cache", fileName(benchmark, split)) : folder.resolve(fileName(benchmark, split));
                return ptb(lines, file);
            }
        } catch (IOException | ai.djl.modality.nlp.embedding.EmbeddingException e) {
            throw new StageInputException(benchmark.wireName() + " (" + split + "): DJL could not read it: " + e.getMessage(), e);
        }
    }

    /** WikiText as the file holds it: split into articles, each de-tokenized; counted on the original. */
    static WordLevelCorpus wikitext(String raw, Path file) {
        List<String> articles = articles(raw);
        StringBuilder scored = new StringBuilder(raw.length());
        long words = 0;
        long bytes = 0;
        for (String article : articles) {
            scored.append(WikitextDetokenizer.detokenize(article));
            words += words(article);
            bytes += article.getBytes(StandardCharsets.UTF_8).length;
        }
        return new WordLevelCorpus(scored.toString(), words, bytes, file, articles.size());
    }

    /** PTB: one sentence a line, scored as given, a newline after each. */
    static WordLevelCorpus ptb(List<String> lines, Path file) {
        StringBuilder text = new StringBuilder();
        for (String line : lines) {
            text.append(line).append('\n');
        }
        String s = text.toString();
        return new WordLevelCorpus(s, words(s), s.getBytes(StandardCharsets.UTF_8).length, file, lines.size());
    }

    /** The file cut before each level-1 heading line (the first article starts with the file). */
    static List<String> articles(String raw) {
        List<String> out = new ArrayList<>();
        String[] lines = raw.split("(?<=\n)");
        StringBuilder current = new StringBuilder();
        for (String line : lines) {
            String bare = line.endsWith("\n") ? line.substring(0, line.length() - 1) : line;
            if (ARTICLE_HEADING.matcher(bare).matches() && !current.toString().isBlank()) {
                out.add(current.toString());
                current.setLength(0);
            }
            current.append(line);
        }
        if (current.length() > 0) {
            out.add(current.toString());
        }
        return out;
    }

    /** Python's {@code len(re.split(r"\s+", text))}: leading and trailing whitespace count as an empty word each. */
    static long words(String text) {
        return WHITESPACE.split(text, -1).length;
    }

    static String fileName(Benchmark benchmark, String split) {
        String part = switch (usage(split)) {
            case TRAIN -> "train";
            case VALIDATION -> "valid";
            default -> "test";
        };
        return benchmark == Benchmark.WIKITEXT2 ? "wiki." + part + ".tokens" : "ptb." + part + ".txt";
    }

    static Dataset.Usage usage(String split) {
        return switch (split) {
            case "train" -> Dataset.Usage.TRAIN;
            case "val", "valid", "validation" -> Dataset.Usage.VALIDATION;
            case "test" -> Dataset.Usage.TEST;
            default -> throw new StageInputException("key 'eval.split': '" + split
                    + "' is not a part of WikiText-2 or PTB (expected train, valid or test)");
        };
    }

    private static String howToProvide(Benchmark benchmark) {
        String files = benchmark == Benchmark.WIKITEXT2
                ? "wiki.train.tokens, wiki.valid.tokens, wiki.test.tokens (the unzipped wikitext-2-v1.zip)"
                : "ptb.train.txt, ptb.valid.txt, ptb.test.txt (Mikolov's simple-examples/data)";
        return "either set eval.benchmark_data to the folder that holds " + files
                + ", or let DJL download it into its cache (" + Utils.getCacheDir() + ") by running with DJL_OFFLINE=false "
                + "and network access";
    }

    /** The user's folder as a local repository, or DJL's own (downloading) one when none is given. */
    private static Repository repository(Benchmark benchmark, Path folder, String split) {
        if (folder != null) {
            if (!Files.isDirectory(folder)) {
                throw new StageInputException(folder + ": benchmark folder not found" + (Utils.isOfflineMode()
                        ? " and DJL is offline (DJL_OFFLINE=true), so nothing can be downloaded" : "") + "; "
                        + howToProvide(benchmark));
            }
            Path inner = folder.resolve("wikitext-2");
            String name = fileName(benchmark, split);
            if (!Files.isRegularFile(folder.resolve(name)) && !Files.isRegularFile(inner.resolve(name))) {
                throw new StageInputException(folder.resolve(name) + ": not found; " + howToProvide(benchmark));
            }
            return new LocalDatasetRepository(folder);
        }
        if (Utils.isOfflineMode() && !cached(benchmark)) {
            throw new StageInputException("eval.benchmark " + benchmark.wireName() + ": no eval.benchmark_data folder is set, "
                    + "DJL is offline (DJL_OFFLINE=true) and its cache has no copy; " + howToProvide(benchmark));
        }
        return BasicDatasets.REPOSITORY;
    }

    /** Whether DJL downloaded this dataset before (its cache then serves it offline). */
    private static boolean cached(Benchmark benchmark) {
        String artifact = benchmark == Benchmark.WIKITEXT2 ? LocalDatasetRepository.WIKITEXT2 : LocalDatasetRepository.PTB;
        Path dir = Utils.getCacheDir().resolve("cache/repo/dataset/nlp/" + BasicDatasets.GROUP_ID.replace('.', '/') + "/" + artifact);
        return Files.isRegularFile(dir.resolve("metadata.json")) && Files.isDirectory(dir.resolve("1.0"));
    }
}
