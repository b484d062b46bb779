package dev.chatforge.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The weights of a checkpoint folder as the Hugging Face Hub lays them out: one
 * {@code model.safetensors}, or shards listed in {@code model.safetensors.index.json}
 * ({@code {"weight_map": {tensor: shard file}}}), as large models are uploaded.
 */
public final class CheckpointWeights {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private CheckpointWeights() {}

    /** The file(s) holding {@code dir}'s weights, or a message naming what is there instead. */
    public static Set<Path> files(Path dir) {
        if (Files.exists(dir.resolve(SINGLE))) {
            return Set.of(dir.resolve(SINGLE));
        }
        Path index = dir.resolve(INDEX);
        if (Files.exists(index)) {
            Set<Path> shards = new LinkedHashSet<>();
            shardsByTensor(index).values().forEach(f -> shards.add(dir.resolve(f)));
            return shards;
        }
        if (Files.exists(dir.resolve("pytorch_model.bin"))) {
            throw new StageInputException(dir.resolve(SINGLE) + ": not found; " + dir + " has only pytorch_model.bin "
                    + "(a pickle, which chatforge does not execute): download the repository's model.safetensors, or "
                    + "convert it with transformers (model.save_pretrained(dir, safe_serialization=True))");
        }
        throw new StageInputException(dir.resolve(SINGLE) + ": not found (nor " + INDEX + ")");
    }

    /** Every tensor of the folder's weight file(s), in file order. */
    public static Map<String, NDArray> read(Path dir, NDManager manager) {
        Path index = dir.resolve(INDEX);
        if (Files.exists(dir.resolve(SINGLE)) || !Files.exists(index)) {
            return SafeTensors.read(files(dir).iterator().next(), manager);
        }
        Map<String, String> byTensor = shardsByTensor(index);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (String shard : new LinkedHashSet<>(byTensor.values())) {
            Map<String, NDArray> read = SafeTensors.read(dir.resolve(shard), manager);
            for (Map.Entry<String, NDArray> e : read.entrySet()) {
                if (!shard.equals(byTensor.get(e.getKey()))) {
                    e.getValue().close(); // not listed for this shard: the index decides
                } else {
                    tensors.put(e.getKey(), e.getValue());
                }
            }
        }
        for (String name : byTensor.keySet()) {
            if (!tensors.containsKey(name)) {
                throw new StageInputException(index + ": lists tensor '" + name + "' in " + byTensor.get(name)
                        + ", which does not contain it");
            }
        }
        return tensors;
    }

    /** The index's weight_map: tensor name to shard file name. */
    public static Map<String, String> shardsByTensor(Path index) {
        JsonNode map;
        try {
            map = Json.MAPPER.readTree(index.toFile()).path("weight_map");
        } catch (IOException e) {
            throw new StageInputException(index + ": not valid JSON: " + e.getMessage());
        }
        if (!map.isObject() || map.isEmpty()) {
            throw new StageInputException(index + ": key 'weight_map' is missing or empty");
        }
        Map<String, String> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = map.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> e = fields.next();
            String shard = e.getValue().asText("");
            if (shard.isEmpty() || shard.contains("/") || shard.contains("\\")) {
                throw new StageInputException(index + ": weight_map: tensor '" + e.getKey() + "' names shard '"
                        + shard + "', expected a file name beside the index");
            }
            out.put(e.getKey(), shard);
        }
        return out;
    }
}
