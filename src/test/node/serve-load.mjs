// A bounded load test of a running `chatforge serve`: REQUESTS requests from CLIENTS concurrent
// clients; every one must be answered 200 or 429 (queue full), none lost or failed.
// Usage: node serve-load.mjs PORT [API_KEY] [REQUESTS=200] [CLIENTS=16] [MAX_TOKENS=16]
// Prints one JSON line: counts, wall time, tokens/s and time-to-first-token percentiles.
import assert from 'node:assert/strict';

const [port, key = process.env.CHATFORGE_API_KEY ?? 'none', requests = '200', clients = '16', maxTokens = '16']
  = process.argv.slice(2);
assert.ok(port, 'usage: node serve-load.mjs PORT [API_KEY] [REQUESTS] [CLIENTS] [MAX_TOKENS]');
const total = Number(requests);
const url = `http://127.0.0.1:${port}/v1/completions`;
const counts = { 200: 0, 429: 0 };
const failures = [];
const firstToken = [];
let tokens = 0;
let next = 0;

async function one(i) {
  const start = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
    body: JSON.stringify({ prompt: `Request ${i}: where is my order?`, max_tokens: Number(maxTokens),
                           temperature: 0.8, seed: i, stream: true, stream_options: { include_usage: true } }),
    signal: AbortSignal.timeout(300_000),
  });
  if (response.status !== 200) {
    const body = await response.text();
    counts[response.status] = (counts[response.status] ?? 0) + 1;
    if (response.status !== 429) failures.push(`request ${i}: HTTP ${response.status} ${body}`);
    return;
  }
  const text = await readStream(response, start);
  if (!text.done) {
    failures.push(`request ${i}: the stream ended without [DONE]`);
    return;
  }
  counts[200]++;
  tokens += text.completionTokens;
}

async function readStream(response, start) {
  const decoder = new TextDecoder();
  let buffer = '';
  let done = false;
  let completionTokens = 0;
  let first = true;
  for await (const bytes of response.body) {
    buffer += decoder.decode(bytes, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end).replace(/^data: /, '');
      buffer = buffer.slice(end + 2);
      if (event === '[DONE]') { done = true; continue; }
      const chunk = JSON.parse(event);
      if (chunk.error) throw new Error(chunk.error.message);
      if (chunk.usage) completionTokens = chunk.usage.completion_tokens;
      if (first && chunk.choices?.[0]?.text) { firstToken.push(performance.now() - start); first = false; }
    }
  }
  return { done, completionTokens };
}

async function client() {
  while (next < total) {
    const i = next++;
    try {
      await one(i);
    } catch (e) {
      failures.push(`request ${i}: ${e}`);
    }
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: Number(clients) }, client));
const seconds = (performance.now() - started) / 1000;
firstToken.sort((a, b) => a - b);
const pct = (p) => firstToken.length ? Math.round(firstToken[Math.min(firstToken.length - 1, Math.floor(p * firstToken.length))]) : null;
console.log(JSON.stringify({ requests: total, clients: Number(clients), ok: counts[200], rejected_429: counts[429],
  failed: failures.length, seconds: Number(seconds.toFixed(2)), tokens, tokens_per_s: Number((tokens / seconds).toFixed(1)),
  ttft_ms_p50: pct(0.5), ttft_ms_p95: pct(0.95) }));
failures.slice(0, 10).forEach((f) => console.error(f));
assert.equal(counts[200] + counts[429], total, `answered ${counts[200]} + ${counts[429]} of ${total}`);
assert.equal(failures.length, 0, `${failures.length} requests failed`);
