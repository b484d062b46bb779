package dev.chatforge.data;

import dev.chatforge.config.Checks;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cleaning steps of prepare ({@code prepare.cleaning}), applied in this order to a
 * document's text and to each turn of a conversation: the character steps, then the content
 * filters, then redaction of personal data. Every content step is off by default.
 *
 * @param stripHtml          remove HTML tags (block tags become line breaks, script/style
 *                           bodies are dropped) and decode entities such as {@code &amp;}
 * @param nfkc               Unicode NFKC normalisation (full-width letters, ligatures, ...)
 * @param removeControl      remove control and invisible format characters (keeps tab and newline)
 * @param removeChars        further characters to remove, given as a string, e.g. "•¶"
 * @param collapseWhitespace runs of spaces/tabs become one space, lines are trimmed, and more
 *                           than one blank line becomes one (paragraph breaks are kept)
 * @param lowercase          lower-case everything
 * @param redact             kinds of personal data to replace by placeholders: any of email,
 *                           phone, card, iban, ip, url ({@link PiiType}); empty = off
 * @param placeholders       the text that replaces each kind, e.g. {email: "<email>"}
 * @param blockList          a file of words, phrases and /regular expressions/ (see {@link BlockList}); null = off
 * @param blockAction        drop: drop a record that holds an entry (reason blocked); mask: replace the entry
 * @param blockMask          what replaces a block-list match when block_action is mask
 * @param minLetterShare     drop a record whose visible characters are less than this share letters (0 = off)
 * @param maxRepeatedLineShare drop a record when more than this share of its lines repeat an earlier one (1 = off)
 * @param maxCharRunShare    drop a record when more than this share of its visible characters are in
 *                           runs of 4+ identical characters (1 = off)
 * @param spelling           correct misspelt words (LanguageTool, English) in: off, user (turns),
 *                           agent (turns) or all (every turn and document); needs the -Pspelling build
 * @param spellingLanguage   the English whose dictionary is used: en-US, en-GB, en-CA, en-AU, en-NZ, en-ZA
 */
public record CleaningConfig(boolean stripHtml, boolean nfkc, boolean removeControl, String removeChars,
                             boolean collapseWhitespace, boolean lowercase,
                             List<String> redact, Map<String, String> placeholders,
                             String blockList, String blockAction, String blockMask,
                             double minLetterShare, double maxRepeatedLineShare, double maxCharRunShare,
                             String spelling, String spellingLanguage) {
    static final String BLOCK_DROP = "drop";
    static final String BLOCK_MASK = "mask";
    static final String SPELLING_OFF = "off";
    static final List<String> SPELLING_SCOPES = List.of(SPELLING_OFF, "user", "agent", "all");
    static final List<String> SPELLING_LANGUAGES = List.of("en-US", "en-GB", "en-CA", "en-AU", "en-NZ", "en-ZA");

    public CleaningConfig {
        removeChars = removeChars == null ? "" : removeChars;
        redact = redact == null ? List.of() : List.copyOf(redact);
        placeholders = Collections.unmodifiableMap(new LinkedHashMap<>(placeholders == null ? defaultPlaceholders() : placeholders));
        blockAction = blockAction == null ? BLOCK_DROP : blockAction;
        blockMask = blockMask == null ? "***" : blockMask;
        spelling = spelling == null ? SPELLING_OFF : spelling;
        spellingLanguage = spellingLanguage == null ? "en-US" : spellingLanguage;
    }

    /** The character steps only; every content step (redaction, filters) off. */
    public CleaningConfig(boolean stripHtml, boolean nfkc, boolean removeControl, String removeChars,
                          boolean collapseWhitespace, boolean lowercase) {
        this(stripHtml, nfkc, removeControl, removeChars, collapseWhitespace, lowercase,
                List.of(), defaultPlaceholders(), null, BLOCK_DROP, "***", 0, 1, 1, SPELLING_OFF, "en-US");
    }

    public static CleaningConfig defaults() {
        return new CleaningConfig(false, true, true, "", true, false);
    }

    /** Every step off: text passes through unchanged. */
    public static CleaningConfig none() {
        return new CleaningConfig(false, false, false, "", false, false);
    }

    /** These settings with redaction of the given kinds ("email", "phone", ...). */
    public CleaningConfig withRedact(List<String> kinds) {
        return new CleaningConfig(stripHtml, nfkc, removeControl, removeChars, collapseWhitespace, lowercase, kinds,
                placeholders, blockList, blockAction, blockMask, minLetterShare, maxRepeatedLineShare, maxCharRunShare, spelling, spellingLanguage);
    }

    /** These settings with a block list ({@code action} drop or mask). */
    public CleaningConfig withBlockList(String file, String action) {
        return new CleaningConfig(stripHtml, nfkc, removeControl, removeChars, collapseWhitespace, lowercase, redact,
                placeholders, file, action, blockMask, minLetterShare, maxRepeatedLineShare, maxCharRunShare, spelling, spellingLanguage);
    }

    /** These settings with the spam filters. */
    public CleaningConfig withSpamFilters(double minLetters, double maxRepeatedLines, double maxCharRuns) {
        return new CleaningConfig(stripHtml, nfkc, removeControl, removeChars, collapseWhitespace, lowercase, redact,
                placeholders, blockList, blockAction, blockMask, minLetters, maxRepeatedLines, maxCharRuns, spelling, spellingLanguage);
    }

    /** These settings with spelling correction in {@code scope} (off, user, agent, all). */
    public CleaningConfig withSpelling(String scope) {
        return new CleaningConfig(stripHtml, nfkc, removeControl, removeChars, collapseWhitespace, lowercase, redact,
                placeholders, blockList, blockAction, blockMask, minLetterShare, maxRepeatedLineShare, maxCharRunShare, scope, spellingLanguage);
    }

    /** Whether spelling correction applies to a turn of {@code role}, or to a document when {@code role} is null. */
    boolean spellingApplies(Role role) {
        return switch (spelling) {
            case "all" -> true;
            case "user" -> role == Role.USER;
            case "agent" -> role == Role.AGENT;
            default -> false;
        };
    }

    static Map<String, String> defaultPlaceholders() {
        Map<String, String> map = new LinkedHashMap<>();
        for (PiiType type : PiiType.values()) {
            map.put(type.wireName(), type.defaultPlaceholder());
        }
        return map;
    }

    /** The kinds in {@link #redact()}; call after {@link #validate}. */
    Set<PiiType> redactTypes() {
        Set<PiiType> types = EnumSet.noneOf(PiiType.class);
        redact.forEach(name -> types.add(PiiType.parse(name)));
        return types;
    }

    Map<PiiType, String> placeholderMap() {
        Map<PiiType, String> map = new EnumMap<>(PiiType.class);
        placeholders.forEach((name, text) -> map.put(PiiType.parse(name), text));
        return map;
    }

    /** Checks the content keys (under {@code cleaning.}), each problem named by its key. */
    void validate(Checks checks) {
        List<String> kinds = java.util.Arrays.stream(PiiType.values()).map(PiiType::wireName).toList();
        for (int i = 0; i < redact.size(); i++) {
            checks.check(PiiType.parse(redact.get(i)) != null, "cleaning.redact[" + i + "]",
                    "unknown kind '" + redact.get(i) + "'; known kinds: " + kinds);
        }
        placeholders.forEach((name, text) -> {
            String key = "cleaning.placeholders." + name;
            if (PiiType.parse(name) == null) {
                checks.fail(key, "unknown kind '" + name + "'; known kinds: " + kinds);
            } else if (text == null || text.isEmpty()) {
                checks.fail(key, "must not be empty");
            } else {
                checks.check(!looksLikeControlToken(text), key, "'" + text
                        + "' looks like a chat control token (<|...|>, [INST]); a placeholder must stay plain text, e.g. <email>");
            }
        });
        checks.oneOf("cleaning.block_action", blockAction, List.of(BLOCK_DROP, BLOCK_MASK));
        checks.check(blockList == null || !blockList.isBlank(), "cleaning.block_list", "must be a file path or null");
        checks.check(!looksLikeControlToken(blockMask), "cleaning.block_mask", "'" + blockMask
                + "' looks like a chat control token (<|...|>, [INST]); use plain text such as ***");
        checks.range("cleaning.min_letter_share", minLetterShare, 0, 1);
        checks.range("cleaning.max_repeated_line_share", maxRepeatedLineShare, 0, 1);
        checks.range("cleaning.max_char_run_share", maxCharRunShare, 0, 1);
        checks.oneOf("cleaning.spelling", spelling, SPELLING_SCOPES);
        checks.oneOf("cleaning.spelling_language", spellingLanguage, SPELLING_LANGUAGES);
    }

    /** The shapes of the tokenizer's reserved tokens: a placeholder with one would become a control token. */
    static boolean looksLikeControlToken(String text) {
        return text.contains("<|") || text.contains("|>") || text.contains("[INST]") || text.contains("[/INST]")
                || text.contains("<<SYS>>") || text.contains("<</SYS>>") || text.contains("<s>") || text.contains("</s>");
    }
}
