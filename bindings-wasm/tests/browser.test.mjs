// The door-check page (examples/web) in headless Chromium, driven by Playwright with real PNGs
// made by the CLI: the venue code sets the door, a green visitor is admitted, a red one denied
// and reported, a counterfeit poster rejected. What the page shows is checked, masked data only;
// a screenshot is kept in target/artifacts/web-demo.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serve } from '../../examples/web/serve.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '../..');
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target');
const cli = path.join(targetDir, 'debug/venuecode');
const ID = '11010519491231002X';

function codes() {
  const dir = mkdtempSync(path.join(tmpdir(), 'venuecode-web-'));
  const p = (name) => path.join(dir, name);
  const run = (args) => execFileSync(cli, args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  run(['keygen', '--out', p('v.pem'), '--trust', p('trust.json'), '--usage', 'venue']);
  run(['keygen', '--out', p('p.pem'), '--trust', p('trust.json'), '--usage', 'personal']);
  run(['keygen', '--out', p('forger.pem')]);
  run(['token-key', '--out', p('tk')]);
  const venue = (key, png) => run(['venue', 'issue', '--prefix', 'HTTPS://VC.SH.GOV.CN/1/', '--key', p(key), '--id', 'SH-PT-0018', '--type', 'religious-venue',
    '--name', '上海玉佛禅寺', '--division', '310107', '--address', '安远路170号', '--door', '东门', '--png', p(png)]);
  venue('v.pem', 'venue.png');
  venue('forger.pem', 'forged.png');
  // Dynamic codes live 60 s from now: the page checks them at Date.now().
  const person = (colour, png) => run(['person', 'issue', '--prefix', 'HTTPS://HC.SH.GOV.CN/P/', '--key', p('p.pem'), '--token-key', p('tk'), '--profile', 'dynamic',
    '--name', '张三丰', '--id-number', ID, '--colour', colour, '--png', p(png)]);
  person('green', 'green.png');
  person('red', 'red.png');
  return p;
}

test('the door-check page in headless Chromium', async (t) => {
  const file = codes();
  const server = await serve(0);
  const profile = mkdtempSync(path.join(tmpdir(), 'venuecode-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  t.after(async () => {
    await browser.close();
    server.close();
  });
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForSelector('body[data-ready="true"]');

  const result = page.locator('#result');
  const pick = async (png, selector) => {
    await page.setInputFiles('#image', file(png));
    await page.waitForSelector(selector);
    return result.innerText();
  };

  // Without a trust list nothing is verified.
  await pick('venue.png', '#result[data-state="no-trust"]');
  await page.setInputFiles('#trust-file', file('trust.json'));
  await page.waitForSelector('#setup-state[data-state="ready"]');

  const venue = await pick('venue.png', '#result[data-kind="venue"]');
  assert.match(venue, /场所码有效 Venue code valid: 上海玉佛禅寺 东门/);
  assert.equal(await page.locator('#door-state').getAttribute('data-class'), 'religious');
  assert.match(await page.locator('#door-state').innerText(), /上海玉佛禅寺 · 东门/);

  const green = await pick('green.png', '#result[data-kind="personal"]');
  assert.equal(await result.getAttribute('data-decision'), 'admit', green);
  assert.match(green, /通行 Admit/);
  assert.match(green, /张\*丰/);
  assert.match(green, /110105\*{8}00\*\*/);
  assert.match(green, /绿码 green/);
  const html = await page.content();
  assert.ok(!html.includes('张三丰') && !html.includes(ID), 'the page never holds raw holder data');
  mkdirSync(path.join(targetDir, 'artifacts'), { recursive: true });
  await page.screenshot({ path: path.join(targetDir, 'artifacts/web-demo.png'), fullPage: true });

  const red = await pick('red.png', '#result[data-decision="deny"]');
  assert.match(red, /拒绝 Deny/);
  assert.match(red, /立即报告 report at once/);

  const forged = await pick('forged.png', '#result[data-state="rejected"]');
  assert.equal(await result.getAttribute('data-code'), 'unknown_key', forged);
  // The door stays what the genuine poster set.
  assert.match(await page.locator('#door-state').innerText(), /上海玉佛禅寺 · 东门/);
  assert.deepEqual(errors, []);
});
