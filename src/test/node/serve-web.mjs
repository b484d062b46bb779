// Opens the web chat page of a running `chatforge serve` in headless Chromium (puppeteer-core with
// the system's chromium), types a message and waits for the streamed reply.
// Usage: node serve-web.mjs PORT [API_KEY]   (CHROMIUM=path overrides /usr/bin/chromium)
import puppeteer from 'puppeteer-core';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [port, key = process.env.CHATFORGE_API_KEY ?? ''] = process.argv.slice(2);
assert.ok(port, 'usage: node serve-web.mjs PORT [API_KEY]');
const profile = mkdtempSync(join(tmpdir(), 'chatforge-chromium-'));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         `--user-data-dir=${profile}`],
});
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: 'load' });
  if (key) await page.type('#key', key);
  await page.type('#persona', 'You are a helpful support agent.');
  await page.$eval('#temperature', (el) => { el.value = '0'; });
  await page.$eval('#max-tokens', (el) => { el.value = '24'; });
  // Count how many times the reply's text changes: a streamed reply grows piece by piece.
  await page.evaluate(() => {
    window.replyUpdates = 0;
    new MutationObserver((records) => { window.replyUpdates += records.length; })
      .observe(document.getElementById('log'), { childList: true, subtree: true, characterData: true });
  });
  await page.type('#input', 'Where is my order?');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.msg.user');
  // The reply is streamed into its bubble; wait until the stream has ended.
  await page.waitForFunction(() => {
    const replies = document.querySelectorAll('.msg.assistant, .msg.error');
    const last = replies[replies.length - 1];
    return last && last.dataset.state && last.dataset.state !== 'streaming';
  }, { timeout: 120_000 });
  const reply = await page.$eval('#log .msg:last-child', (el) => ({ state: el.dataset.state, text: el.textContent, cls: el.className }));
  console.log(`web page reply (${reply.state}): ${JSON.stringify(reply.text)}`);
  assert.equal(reply.state, 'done', `the reply ended as ${reply.state}: ${reply.text}`);
  assert.ok(reply.text.trim().length > 0, 'the reply is empty');
  const updates = await page.evaluate(() => window.replyUpdates);
  assert.ok(updates >= 4, `the reply arrived in ${updates} updates; a streamed one grows piece by piece`);
  assert.equal(await page.$eval('#log .msg.user', (el) => el.textContent), 'Where is my order?');
  assert.deepEqual(errors, []);
  console.log('serve-web: ok');
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
