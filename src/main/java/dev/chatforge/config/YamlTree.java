package dev.chatforge.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.StringReader;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * YAML text to a tree, with aliases resolved. Jackson's YAML reader turns an alias into the
 * anchor's <em>name</em> ({@code input: *out} reads as {@code "out"}), so a document that uses
 * aliases is composed by SnakeYAML instead, and each alias becomes a copy of the anchored value
 * ({@code <<:} merge keys included). Copies are counted: a "billion laughs" document (aliases of
 * aliases, each doubling the size) stops at {@link #MAX_VALUES} with an error, not a blow-up.
 * A document without aliases is read by Jackson as before.
 */
final class YamlTree {
    /** Far above any real config (smoke.yaml has a few hundred values), far below a blow-up. */
    static final int MAX_VALUES = 100_000;

    private YamlTree() {}

    /** Thrown for what the document says; the caller adds the file or --set it came from. */
    static final class BadYaml extends RuntimeException {
        BadYaml(String message) {
            super(message);
        }
    }

    static JsonNode read(ObjectMapper jackson, String text) throws JsonProcessingException {
        if (!hasAlias(text)) {
            return jackson.readTree(text);
        }
        Node root;
        try {
            root = new Yaml(options()).compose(new StringReader(text));
        } catch (YAMLException e) {
            throw new BadYaml("not valid YAML: " + e.getMessage().replace('\n', ' '));
        }
        if (root == null) {
            return null;
        }
        return new Expansion(jackson).copy(root);
    }

    private static boolean hasAlias(String text) {
        if (text.indexOf('*') < 0) {
            return false;  // no alias can be written without '*'; most configs skip the event scan
        }
        try {
            for (Event event : new Yaml(options()).parse(new StringReader(text))) {
                if (event instanceof AliasEvent) {
                    return true;
                }
            }
        } catch (YAMLException e) {
            return false;  // let Jackson report the syntax error, as it does for any config
        }
        return false;
    }

    private static LoaderOptions options() {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        return options;
    }

    /** One deep copy of a composed document; shared (aliased) nodes are copied each time. */
    private static final class Expansion {
        private final ObjectMapper jackson;
        private final Set<Node> inProgress = Collections.newSetFromMap(new IdentityHashMap<>());
        private int values;

        Expansion(ObjectMapper jackson) {
            this.jackson = jackson;
        }

        JsonNode copy(Node node) throws JsonProcessingException {
            if (++values > MAX_VALUES) {
                throw new BadYaml("its aliases expand to more than " + MAX_VALUES
                        + " values (aliases of aliases multiply; is this a \"billion laughs\" document?)");
            }
            if (!inProgress.add(node)) {
                throw new BadYaml("an alias refers to a value that contains it" + at(node.getStartMark()));
            }
            try {
                if (node instanceof ScalarNode scalar) {
                    return scalar(scalar);
                }
                if (node instanceof SequenceNode sequence) {
                    ArrayNode array = JsonNodeFactory.instance.arrayNode();
                    for (Node item : sequence.getValue()) {
                        array.add(copy(item));
                    }
                    return array;
                }
                return mapping((MappingNode) node);
            } finally {
                inProgress.remove(node);
            }
        }

        private ObjectNode mapping(MappingNode node) throws JsonProcessingException {
            ObjectNode object = JsonNodeFactory.instance.objectNode();
            List<NodeTuple> merged = new java.util.ArrayList<>();
            for (NodeTuple entry : node.getValue()) {
                if (entry.getKeyNode().getTag().equals(Tag.MERGE)) {
                    merged.add(entry);
                    continue;
                }
                if (!(entry.getKeyNode() instanceof ScalarNode key)) {
                    throw new BadYaml("a key must be a plain value, not a list or mapping" + at(entry.getKeyNode().getStartMark()));
                }
                if (object.has(key.getValue())) {
                    throw new BadYaml("duplicate key '" + key.getValue() + "'" + at(key.getStartMark()));
                }
                object.set(key.getValue(), copy(entry.getValueNode()));
            }
            // "<<: *base" (or a list of them) adds the anchored mappings' keys the mapping lacks;
            // the first listed wins, as YAML's merge key specifies.
            for (NodeTuple entry : merged) {
                Node value = entry.getValueNode();
                List<Node> sources = value instanceof SequenceNode list ? list.getValue() : List.of(value);
                for (Node source : sources) {
                    if (!(copy(source) instanceof ObjectNode sourceObject)) {
                        throw new BadYaml("a merge key (<<) takes a mapping or a list of mappings" + at(source.getStartMark()));
                    }
                    sourceObject.fields().forEachRemaining(f -> {
                        if (!object.has(f.getKey())) {
                            object.set(f.getKey(), f.getValue());
                        }
                    });
                }
            }
            return object;
        }

        /** Numbers, booleans and nulls are read by Jackson, so a value means what it means without aliases. */
        private JsonNode scalar(ScalarNode scalar) throws JsonProcessingException {
            Tag tag = scalar.getTag();
            if (tag.equals(Tag.INT) || tag.equals(Tag.FLOAT) || tag.equals(Tag.BOOL) || tag.equals(Tag.NULL)) {
                JsonNode value = jackson.readTree(scalar.getValue());
                return value == null || value.isMissingNode() ? JsonNodeFactory.instance.nullNode() : value;
            }
            return JsonNodeFactory.instance.textNode(scalar.getValue());
        }

        private static String at(Mark mark) {
            return mark == null ? "" : " (line " + (mark.getLine() + 1) + ")";
        }
    }
}
