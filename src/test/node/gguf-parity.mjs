// Checks a GGUF file exported by `chatforge export` with llama.cpp itself (through node-llama-cpp's
// prebuilt binaries): llama.cpp's tokenizer gives chatforge's prompt ids, its greedy continuation
// equals `chatforge generate --set generate.temperature=0 --print-ids` token for token, and the
// log-probability it gives that continuation is within a tolerance of chatforge's.
//
//   node gguf-parity.mjs --model model.gguf --reference ids.json --prompt "text" [--exact N] [--tolerance 0.02]
//       [--chat-reference chat.json --system TEXT --user TEXT]
//
// --exact N: how many leading tokens must be equal (default: all; q8_0 uses 10).
// --chat-reference: also render a system + user turn with the chat template inside the GGUF file
// (node-llama-cpp's Jinja chat wrapper, as a llama.cpp chat client does): its ids must equal
// chatforge's chat prompt (`generate --special-tokens --print-ids` of the same turns in chatforge's
// template), and its greedy reply chatforge's (quantized files: the reply's log-probability within
// the tolerance).
// Exit status 0 when every check passes, 1 otherwise (each failure is printed).
import {readFileSync} from "node:fs";
import {parseArgs} from "node:util";
import {getLlama, JinjaTemplateChatWrapper, LlamaLogLevel} from "node-llama-cpp";

const {values: args} = parseArgs({
    options: {
        model: {type: "string"},
        reference: {type: "string"},
        prompt: {type: "string", default: ""},
        exact: {type: "string", default: "all"},
        "chat-reference": {type: "string"},
        system: {type: "string", default: ""},
        user: {type: "string", default: ""},
        tolerance: {type: "string", default: "0.02"}
    }
});
if (!args.model || !args.reference) {
    console.error("usage: node gguf-parity.mjs --model FILE.gguf --reference IDS.json --prompt TEXT [--exact N] [--tolerance F]");
    process.exit(2);
}
const reference = JSON.parse(readFileSync(args.reference, "utf8"));
const failures = [];
const check = (ok, message) => {
    console.log(`${ok ? "ok  " : "FAIL"} ${message}`);
    if (!ok) failures.push(message);
};
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// build: "never": use the prebuilt binary from npm, never download or compile llama.cpp.
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath: args.model, gpuLayers: 0});
console.log(`node-llama-cpp llama.cpp release ${llama.llamaCppRelease.release} (${llama.buildType} binary): ${args.model}, ` +
    `${model.fileInfo.metadata.general.architecture}, train context ${model.trainContextSize}`);

// 1. The tokenizer: llama.cpp's BOS (<|endoftext|>) + the prompt as text = chatforge's prompt.
const promptIds = reference.prompt_ids;
const tokenized = [model.tokens.bos, ...model.tokenize(args.prompt, false)];
check(same(tokenized, promptIds), `tokenizer: llama.cpp ${JSON.stringify(tokenized)} vs chatforge ${JSON.stringify(promptIds)}`);

// chatforge's stop tokens: <|endoftext|> and <|end|>, where the model has them.
const stopIds = new Set([model.tokens.eos, model.tokenize("<|end|>", true)].flat()
    .filter((t) => t != null && model.isSpecialToken(t)));

// 2. Greedy continuation, free-running.
const context = await model.createContext({contextSize: model.trainContextSize, sequences: 3});
const want = reference.ids;
const wantCount = want.length + (reference.stop === "stop_token" ? 1 : 0);
const generated = [];
if (wantCount > 0) {
    for await (const token of context.getSequence().evaluate(promptIds, {temperature: 0})) {
        generated.push(token);
        if (generated.length >= wantCount) break;
    }
}
const exact = args.exact === "all" ? want.length : Math.min(Number(args.exact), want.length);
check(same(generated.slice(0, exact), want.slice(0, exact)),
    `greedy continuation, first ${exact} of ${want.length} tokens:\n     llama.cpp ${JSON.stringify(generated.slice(0, want.length))}` +
    `\n     chatforge ${JSON.stringify(want)}`);
if (reference.stop === "stop_token" && args.exact === "all") {
    check(stopIds.has(generated[want.length]), `llama.cpp stops where chatforge did (token ${generated[want.length]})`);
}

// 3. Log-probability of chatforge's continuation under llama.cpp's model (teacher-forced).
const plain = {temperature: 1, topK: 0, topP: 1, minP: 0};
const tolerance = Number(args.tolerance);
/** llama.cpp's log-probability of `tokens` after `prompt`, each token fed as chatforge chose it. */
async function teacherForcedLogProb(prompt, tokens) {
    if (tokens.length === 0) return 0;
    const input = prompt.map((t, i) => i === prompt.length - 1 ? [t, {generateNext: {probabilities: true, options: plain}}] : t);
    tokens.slice(0, -1).forEach((t) => input.push([t, {generateNext: {probabilities: true, options: plain}}]));
    const sequence = context.getSequence();
    const output = await sequence.controlledEvaluate(input);
    let sum = 0;
    tokens.forEach((t, i) => {
        sum += Math.log(output[prompt.length - 1 + i].next.probabilities.get(t) ?? 0);
    });
    sequence.dispose();
    return sum;
}
/** Checks llama.cpp's log-probability of chatforge's tokens against chatforge's own, within the tolerance. */
function checkLogProb(what, llama, chatforge) {
    const relative = Math.abs(llama - chatforge) / Math.max(Math.abs(chatforge), 1e-9);
    check(relative <= tolerance, `log-probability of the ${what}: llama.cpp ${llama.toFixed(4)}, chatforge ` +
        `${chatforge.toFixed(4)} (relative difference ${(100 * relative).toFixed(3)}%, limit ${(100 * tolerance).toFixed(1)}%)`);
}
checkLogProb("continuation", await teacherForcedLogProb(promptIds, want), reference.log_probs.reduce((a, b) => a + b, 0));

// 4. Chat through the template the GGUF file carries.
if (args["chat-reference"]) {
    const chat = JSON.parse(readFileSync(args["chat-reference"], "utf8"));
    const template = model.fileInfo.metadata.tokenizer.chat_template;
    check(typeof template === "string", "the GGUF file carries tokenizer.chat_template");
    const wrapper = new JinjaTemplateChatWrapper({template, tokenizer: model.tokenizer});
    const {contextText} = wrapper.generateContextState({chatHistory: [
        {type: "system", text: args.system}, {type: "user", text: args.user}, {type: "model", response: []}]});
    const chatIds = contextText.tokenize(model.tokenizer);
    check(same(chatIds, chat.prompt_ids), `chat template: llama.cpp client ${JSON.stringify(chatIds)} vs chatforge ` +
        `${JSON.stringify(chat.prompt_ids)}`);
    if (args.exact === "all") {
        // unquantized: the same greedy reply, token for token
        const reply = [];
        const replySequence = context.getSequence();
        if (chat.ids.length > 0) {
            for await (const token of replySequence.evaluate(chatIds, {temperature: 0})) {
                reply.push(token);
                if (reply.length >= chat.ids.length) break;
            }
        }
        replySequence.dispose();
        check(same(reply, chat.ids), `greedy reply, ${chat.ids.length} tokens: llama.cpp ${JSON.stringify(reply)} vs ` +
            `chatforge ${JSON.stringify(chat.ids)}`);
    } else {
        // quantized: a near-tie between two tokens may flip under rounding and send the rest of a greedy
        // reply elsewhere, so the reply is compared by its log-probability, as the continuation is
        // A short reply's total is small, so its difference is taken per token: q8_0's rounding moves
        // a token's log-probability by thousandths of a nat (0.007 nats/token measured on the smoke model).
        const llamaReply = await teacherForcedLogProb(chatIds, chat.ids);
        const chatforgeReply = chat.log_probs.reduce((a, b) => a + b, 0);
        const perToken = Math.abs(llamaReply - chatforgeReply) / Math.max(chat.ids.length, 1);
        check(perToken <= 0.02, `log-probability of the chat reply: llama.cpp ${llamaReply.toFixed(4)}, chatforge ` +
            `${chatforgeReply.toFixed(4)} (${perToken.toFixed(4)} nats per token apart, limit 0.02)`);
    }
}

await context.dispose();
await model.dispose();
await llama.dispose();
if (failures.length > 0) {
    console.error(`${failures.length} check(s) failed for ${args.model}`);
    process.exit(1);
}
