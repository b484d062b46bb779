package dev.chatforge.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.chatforge.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML config file with its {@code --set key.path=value} overrides applied. One file may hold
 * a section per stage ({@code prepare:}, {@code train:}, ...) and a {@code pipeline:} list naming
 * the sections to run in order. A section is named after its stage, optionally with a label
 * ({@code prepare/support:}) so one file can run a stage twice.
 */
public final class ConfigFile {
    /** Reads YAML; duplicate keys are an error, not a silent "last one wins". */
    static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .build()).enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final String origin;
    private final ObjectNode root;
    private final Map<String, String> overrides;
    /** The sections the file itself has (not those only --set names). */
    private final List<String> fileSections;

    private ConfigFile(String origin, ObjectNode root, Map<String, String> overrides, List<String> fileSections) {
        this.origin = origin;
        this.root = root;
        this.overrides = overrides;
        this.fileSections = fileSections;
    }

    /** Loads {@code file} (or an empty config when null) and applies the overrides in order. */
    public static ConfigFile load(Path file, List<String> overrides) {
        String origin = file == null ? "(no --config)" : file.toString();
        ObjectNode root;
        if (file == null) {
            root = JsonNodeFactory.instance.objectNode();
        } else {
            try {
                JsonNode parsed = YamlTree.read(YAML, utf8(file, Files.readAllBytes(file)));
                if (parsed == null || parsed.isMissingNode() || parsed.isNull()) {
                    root = JsonNodeFactory.instance.objectNode();
                } else if (parsed instanceof ObjectNode object) {
                    root = object;
                } else {
                    throw new ConfigException(origin + ": expected a mapping of sections (prepare:, train:, ...) at the top level");
                }
            } catch (YamlTree.BadYaml e) {
                throw new ConfigException(origin + ": " + e.getMessage());
            } catch (NoSuchFileException e) {
                throw new ConfigException(origin + ": config file not found");
            } catch (JsonProcessingException e) {
                throw new ConfigException(origin + ": not valid YAML: " + e.getOriginalMessage()
                        + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""));
            } catch (IOException e) {
                throw new ConfigException(origin + ": cannot read: " + e.getMessage());
            }
        }
        List<String> fileSections = new ArrayList<>();
        root.fieldNames().forEachRemaining(fileSections::add);
        Map<String, String> applied = new LinkedHashMap<>();
        for (String override : overrides) {
            int eq = override.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--set " + override + ": expected key.path=value");
            }
            String key = override.substring(0, eq).trim();
            String value = override.substring(eq + 1);
            set(root, key, parseScalar(key, value));
            applied.put(key, value);
        }
        return new ConfigFile(origin, root, applied, fileSections);
    }

    /**
     * Checks every section name of the file and of the --set overrides against {@code stages}
     * (a section is a stage's name, optionally with "/label"), so a misspelt section can never
     * be silently ignored; the message names the closest stage.
     */
    public ConfigFile checkSections(java.util.Collection<String> stages) {
        for (String key : overrides.keySet()) {
            String section = key.contains(".") ? key.substring(0, key.indexOf('.')) : key;
            if (section.equals("pipeline")) {
                continue;
            }
            if (!key.contains(".")) {
                throw new ConfigException("--set " + key + "=" + overrides.get(key) + ": expected SECTION.key=value, e.g. train."
                        + key + "=" + overrides.get(key) + " (a section is a stage, optionally with /label: " + stages + ")");
            }
            checkSection("--set " + key + "=" + overrides.get(key), section, stages);
        }
        for (String section : fileSections) {
            if (!section.equals("pipeline")) {
                checkSection(origin, section, stages);
            }
        }
        return this;
    }

    /**
     * Checks a section named on the command line ({@code --section}) for the stage a command
     * runs: it must belong to that stage and be in the file (or in a --set).
     */
    public void checkNamedSection(String stage, String section) {
        if (!stageOf(section).equals(stage)) {
            throw new ConfigException("--section " + section + ": the '" + stage + "' command reads a section of its own stage ('"
                    + stage + "' or '" + stage + "/LABEL')");
        }
        if (root.has(section)) {
            return;
        }
        List<Object> same = new ArrayList<>();
        for (String name : sectionNames()) {
            if (stageOf(name).equals(stage)) {
                same.add(name);
            }
        }
        String suggestion = closest(section, same);
        throw new ConfigException("--section " + section + ": " + origin + " has no such section"
                + (suggestion == null ? "" : " (did you mean '" + suggestion + "'?)") + "; its " + stage + " sections: " + same);
    }

    private static void checkSection(String source, String section, java.util.Collection<String> stages) {
        String stage = stageOf(section);
        if (stages.contains(stage) && (stage.length() == section.length() || section.length() > stage.length() + 1)) {
            return;
        }
        String suggestion = closest(stage, new ArrayList<>(stages));
        String label = section.substring(stage.length());
        throw new ConfigException(source + ": unknown section '" + section + "'"
                + (suggestion == null ? "" : " (did you mean '" + suggestion + (label.length() > 1 ? label : "") + "'?)")
                + "; a section is named after a stage, optionally with /label: " + stages);
    }

    /** The stages of the {@code pipeline:} list, in order (empty when the file has none). */
    public List<String> pipeline() {
        JsonNode list = root.get("pipeline");
        List<String> names = new ArrayList<>();
        if (list == null || list.isNull()) {
            return names;
        }
        if (!list.isArray()) {
            throw new ConfigException(origin + ": key 'pipeline': expected a list of section names");
        }
        for (JsonNode name : list) {
            if (!name.isTextual()) {
                throw new ConfigException(origin + ": key 'pipeline': expected section names, got " + name);
            }
            if (!root.has(name.asText())) {
                throw new ConfigException(origin + ": key 'pipeline': names section '" + name.asText()
                        + "', which the file does not have (sections: " + sectionNames() + ")");
            }
            names.add(name.asText());
        }
        return names;
    }

    /** The stage a section runs: its name up to an optional "/label". */
    public static String stageOf(String section) {
        int slash = section.indexOf('/');
        return slash < 0 ? section : section.substring(0, slash);
    }

    public List<String> sectionNames() {
        List<String> names = new ArrayList<>();
        root.fieldNames().forEachRemaining(n -> {
            if (!n.equals("pipeline")) {
                names.add(n);
            }
        });
        return names;
    }

    /**
     * The file's text, decoded strictly: a config saved as Latin-1 or UTF-16 is an error naming
     * where its first byte that is not UTF-8 lies, not "Input length = 1" nor a silent U+FFFD.
     */
    private static String utf8(Path file, byte[] bytes) {
        java.nio.charset.CharsetDecoder decoder = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length);
        java.nio.charset.CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int offset = in.position();
            int line = 1;
            for (int i = 0; i < offset; i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new ConfigException(file + ": not UTF-8 text: byte 0x" + String.format("%02X", bytes[offset] & 0xFF)
                    + " at byte offset " + offset + " (line " + line + "); save the file as UTF-8");
        }
        return out.flip().toString();
    }

    /**
     * Binds section {@code name} over {@code defaults}: keys the file gives replace the defaults,
     * nested mappings merge key by key. Unknown keys, wrong types and failed validation are
     * reported with the file, the key path and, for a misspelt key, the closest known one.
     */
    public <T extends StageConfig> T section(String name, Class<T> type, T defaults) {
        JsonNode given = root.get(name);
        JsonNode merged = Json.MAPPER.valueToTree(defaults);
        if (given != null && !given.isNull()) {
            if (!given.isObject()) {
                throw new ConfigException(sourceOf(name) + ": key '" + name + "': expected a mapping of settings");
            }
            merged = merge((ObjectNode) merged, (ObjectNode) given);
            // Known keys are the defaults' own: Jackson does not report unknown keys of a record
            // with an @JsonUnwrapped part (the shared training settings), so they are checked here.
            List<Object> known = new ArrayList<>();
            Json.MAPPER.valueToTree(defaults).fieldNames().forEachRemaining(known::add);
            for (Iterator<String> keys = given.fieldNames(); keys.hasNext(); ) {
                String key = keys.next();
                if (!known.contains(key)) {
                    throw unknownKey(name + "." + key, key, known);
                }
            }
        }
        T config;
        try {
            config = Json.MAPPER.treeToValue(merged, type);
        } catch (UnrecognizedPropertyException e) {
            throw unknownKey(keyPath(name, e), e.getPropertyName(), e.getKnownPropertyIds());
        } catch (InvalidFormatException e) {
            String key = keyPath(name, e);
            throw new ConfigException(sourceOf(key) + ": key '" + key + "': expected " + typeName(e.getTargetType())
                    + ", got '" + e.getValue() + "'");
        } catch (MismatchedInputException e) {
            String key = keyPath(name, e);
            throw new ConfigException(sourceOf(key) + ": key '" + key + "': expected " + typeName(e.getTargetType()));
        } catch (ValueInstantiationException e) {
            String key = keyPath(name, e);
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new ConfigException(sourceOf(key) + ": key '" + key + "': " + cause.getMessage());
        } catch (JsonMappingException e) {
            String key = keyPath(name, e);
            throw new ConfigException(sourceOf(key) + ": key '" + key + "': " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw new ConfigException(origin + ": section '" + name + "': " + e.getOriginalMessage());
        }
        Checks checks = new Checks(name);
        config.validate(checks);
        if (!checks.errors().isEmpty()) {
            throw new ConfigException(origin + (overrides.isEmpty() ? "" : " with --set " + overrides.keySet())
                    + ": invalid config:\n  " + String.join("\n  ", checks.errors()));
        }
        return config;
    }

    private ConfigException unknownKey(String keyPath, String key, java.util.Collection<Object> known) {
        String suggestion = closest(key, known);
        return new ConfigException(sourceOf(keyPath) + ": unknown key '" + keyPath + "'"
                + (suggestion == null ? "" : " (did you mean '" + suggestion + "'?)") + "; known keys: " + sorted(known));
    }

    /** The effective config of a section as YAML, for the user to see what a stage runs with. */
    public static String toYaml(String section, Object config) {
        try {
            ObjectNode wrapper = JsonNodeFactory.instance.objectNode();
            wrapper.set(section, Json.MAPPER.valueToTree(config));
            return YAML.writeValueAsString(wrapper);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public String origin() {
        return origin;
    }

    private String sourceOf(String key) {
        for (Map.Entry<String, String> o : overrides.entrySet()) {
            if (key.equals(o.getKey()) || key.startsWith(o.getKey() + ".")) {
                return "--set " + o.getKey() + "=" + o.getValue();
            }
        }
        return origin;
    }

    private static ObjectNode merge(ObjectNode base, ObjectNode given) {
        ObjectNode result = base.deepCopy();
        Iterator<Map.Entry<String, JsonNode>> fields = given.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode existing = result.get(field.getKey());
            if (existing instanceof ObjectNode baseChild && field.getValue() instanceof ObjectNode givenChild) {
                result.set(field.getKey(), merge(baseChild, givenChild));
            } else {
                result.set(field.getKey(), field.getValue());
            }
        }
        return result;
    }

    private static void set(ObjectNode root, String dottedKey, JsonNode value) {
        String[] parts = dottedKey.split("\\.");
        ObjectNode node = root;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = node.get(parts[i]);
            if (!(child instanceof ObjectNode)) {
                child = node.putObject(parts[i]);
            }
            node = (ObjectNode) child;
        }
        node.set(parts[parts.length - 1], value);
    }

    /** A --set value is read as YAML, so numbers, booleans, null and [lists] work as in the file. */
    private static JsonNode parseScalar(String key, String value) {
        try {
            JsonNode parsed = YamlTree.read(YAML, value.isEmpty() ? "''" : value);
            return parsed == null || parsed.isMissingNode() ? JsonNodeFactory.instance.textNode(value) : parsed;
        } catch (YamlTree.BadYaml e) {
            throw new ConfigException("--set " + key + "=" + value + ": " + e.getMessage());
        } catch (JsonProcessingException e) {
            throw new ConfigException("--set " + key + "=" + value + ": cannot read the value: " + e.getOriginalMessage());
        }
    }

    private static String keyPath(String section, JsonMappingException e) {
        StringBuilder key = new StringBuilder(section);
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                key.append('.').append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                key.append('[').append(ref.getIndex()).append(']');
            }
        }
        return key.toString();
    }

    private static String typeName(Class<?> type) {
        if (type == null) {
            return "another type";
        }
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            return "an integer";
        }
        if (type == double.class || type == Double.class || type == float.class || type == Float.class) {
            return "a number";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (type == String.class || type == Path.class) {
            return "a string";
        }
        if (List.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (type.isEnum()) {
            List<String> values = new ArrayList<>();
            for (Object c : type.getEnumConstants()) {
                values.add(c.toString().toLowerCase(java.util.Locale.ROOT));
            }
            return "one of " + values;
        }
        if (type.isRecord() || Map.class.isAssignableFrom(type)) {
            return "a mapping of settings";
        }
        return "a " + type.getSimpleName();
    }

    private static List<String> sorted(java.util.Collection<Object> ids) {
        List<String> names = new ArrayList<>();
        ids.forEach(id -> names.add(id.toString()));
        names.sort(null);
        return names;
    }

    /**
     * The known key closest to a misspelt one, or null when none is close: a key that the given
     * one abbreviates ("warmup" for "warmup_steps") first, else the nearest by edit distance.
     */
    static String closest(String key, java.util.Collection<Object> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (Object candidate : known) {
            String name = candidate.toString();
            int d = name.startsWith(key) || key.startsWith(name) ? 1 : editDistance(key, name);
            if (d < bestDistance) {
                bestDistance = d;
                best = name;
            }
        }
        return best != null && bestDistance <= Math.max(2, key.length() / 3) ? best : null;
    }

    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
