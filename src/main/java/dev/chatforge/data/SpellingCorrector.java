package dev.chatforge.data;

import dev.chatforge.config.ConfigException;

/**
 * Corrects misspelt words ({@code prepare.cleaning.spelling}). The one implementation,
 * {@code LanguageToolSpeller}, uses LanguageTool's English module, which brings 64 MB in 91 jars;
 * so it is built only with the Maven profile {@code spelling} and found here at run time, and
 * the default build stays as small as it was (docs/prepare.md).
 */
interface SpellingCorrector {
    String IMPLEMENTATION = "dev.chatforge.data.LanguageToolSpeller";

    /** {@code text} with each misspelt word replaced by the first suggestion; the count goes to {@code tally}. Thread-safe. */
    String correct(String text, CleaningTally tally);

    /** The LanguageTool corrector, or a config error that says how to build with it. */
    static SpellingCorrector load(String language) {
        try {
            return (SpellingCorrector) Class.forName(IMPLEMENTATION).getDeclaredConstructor(String.class).newInstance(language);
        } catch (ClassNotFoundException | NoClassDefFoundError e) {
            throw new ConfigException("prepare.cleaning.spelling needs LanguageTool, which the default build leaves out "
                    + "(64 MB of jars): build with `mvn -B -Pcpu,spelling package -DskipTests` (see docs/prepare.md), "
                    + "or set spelling: off");
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot start LanguageTool: " + e, e);
        }
    }
}
