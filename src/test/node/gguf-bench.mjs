// Generation speed of a GGUF file in llama.cpp (node-llama-cpp's prebuilt binary), measured as
// `chatforge generate` reports its own: generated tokens / (prompt processing + generation).
//
//   node gguf-bench.mjs --model model.gguf --prompt-ids 50256,464,2068 --tokens 128 [--threads N]
//
// Prints one line: "llama.cpp: N tokens in S s: R tokens/s (threads T; prompt P tokens)".
import {parseArgs} from "node:util";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const {values: args} = parseArgs({
    options: {
        model: {type: "string"},
        "prompt-ids": {type: "string"},
        tokens: {type: "string", default: "128"},
        threads: {type: "string"}
    }
});
const prompt = args["prompt-ids"].split(",").map(Number);
const count = Number(args.tokens);
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath: args.model, gpuLayers: 0});
const threads = args.threads ? Number(args.threads) : undefined;
const context = await model.createContext({contextSize: Math.min(model.trainContextSize, prompt.length + count + 8), threads});
const sequence = context.getSequence();
const start = process.hrtime.bigint();
let generated = 0;
// Greedy, no stop tokens: exactly `count` tokens, as chatforge generate with --max-new-tokens.
for await (const token of sequence.evaluate(prompt, {temperature: 0})) {
    void token;
    if (++generated >= count) break;
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`llama.cpp: ${generated} tokens in ${seconds.toFixed(2)} s: ${(generated / seconds).toFixed(1)} tokens/s ` +
    `(threads ${context.currentThreads}; prompt ${prompt.length} tokens)`);
await context.dispose();
await model.dispose();
await llama.dispose();
