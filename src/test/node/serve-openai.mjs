// Drives a running `chatforge serve` with the official openai package, as any application would.
// Usage: node serve-openai.mjs PORT [API_KEY]   (starts nothing itself; exits non-zero on a failed check)
import OpenAI from 'openai';
import assert from 'node:assert/strict';

const port = process.argv[2];
const apiKey = process.argv[3] ?? process.env.CHATFORGE_API_KEY ?? 'none';
assert.ok(port, 'usage: node serve-openai.mjs PORT [API_KEY]');
const baseURL = `http://127.0.0.1:${port}/v1`;
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 120_000 });

async function check(name, fn) {
  const start = Date.now();
  await fn();
  console.log(`ok   ${name} (${Date.now() - start} ms)`);
}

const models = await client.models.list();
const model = models.data[0].id;
await check(`models: ${model}`, async () => {
  assert.equal(models.data.length, 1);
  assert.equal(models.data[0].object, 'model');
});

const messages = [
  { role: 'system', content: 'You are a helpful support agent.' },
  { role: 'user', content: 'Where is my order?' },
];

let whole;
await check('chat completion', async () => {
  const r = await client.chat.completions.create({ model, messages, max_tokens: 24, temperature: 0 });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(typeof r.choices[0].message.content, 'string');
  assert.ok(['stop', 'length'].includes(r.choices[0].finish_reason), r.choices[0].finish_reason);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  whole = r.choices[0].message.content;
  console.log(`     reply: ${JSON.stringify(whole)}`);
});

await check('streamed chat completion equals the whole one', async () => {
  const stream = await client.chat.completions.create({
    model, messages, max_tokens: 24, temperature: 0, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let role = null;
  let finish = null;
  let usage = null;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    if (choice.delta.role) role = role ?? choice.delta.role;
    text += choice.delta.content ?? '';
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  assert.equal(role, 'assistant');
  assert.equal(text, whole);
  assert.ok(['stop', 'length'].includes(finish), String(finish));
  assert.ok(usage && usage.completion_tokens <= 24, JSON.stringify(usage));
  assert.ok(chunks >= 3);
});

await check('completion', async () => {
  const r = await client.completions.create({ model, prompt: 'Can I get a refund', max_tokens: 12, temperature: 0 });
  assert.equal(r.object, 'text_completion');
  assert.equal(typeof r.choices[0].text, 'string');
  assert.ok(r.usage.completion_tokens <= 12);
});

await check('a wrong key is refused (401)', async () => {
  const wrong = new OpenAI({ baseURL, apiKey: apiKey + '-wrong', maxRetries: 0 });
  await assert.rejects(wrong.models.list(), (e) => {
    assert.ok(e instanceof OpenAI.AuthenticationError, String(e));
    assert.equal(e.status, 401);
    assert.equal(e.code, 'invalid_api_key');
    return true;
  });
});

await check('a prompt longer than the context is refused saying how long (400)', async () => {
  const long = 'Where is my order? '.repeat(2000);
  await assert.rejects(client.chat.completions.create({ model, messages: [{ role: 'user', content: long }] }), (e) => {
    assert.ok(e instanceof OpenAI.BadRequestError, String(e));
    assert.equal(e.code, 'context_length_exceeded');
    assert.match(e.message, /context is \d+ tokens; the messages take \d+ tokens/);
    return true;
  });
});

console.log('serve-openai: all checks passed');
