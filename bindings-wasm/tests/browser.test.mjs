// The door-check page and the visitor's check-in page (examples/web) in headless Chromium, driven by Playwright with real PNGs
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
  run(['keygen', '--out', p('v.pem'), '--trust', p('trust.json'), '--usage', 'venue', '--prefix', 'HTTPS://VC.SH.GOV.CN/1/']);
  run(['keygen', '--out', p('p.pem'), '--trust', p('trust.json'), '--usage', 'personal', '--prefix', 'HTTPS://HC.SH.GOV.CN/P/']);
  run(['keygen', '--out', p('forger.pem')]);
  run(['token-key', '--out', p('tk')]);
  const venue = (key, png) => run(['venue', 'issue', '--prefix', 'HTTPS://VC.SH.GOV.CN/1/', '--key', p(key), '--id', 'SH-PT-0018', '--type', 'religious-venue',
    '--name', '上海玉佛禅寺', '--division', '310107', '--address', '安远路170号', '--door', '东门', '--png', p(png)]);
  venue('v.pem', 'venue.png');
  venue('forger.pem', 'forged.png');
  // Dynamic codes live 60 s from now: the page checks them at Date.now().
  const person = (colour, png) => run(['person', 'issue', '--prefix', 'HTTPS://HC.SH.GOV.CN/P/', '--key', p('p.pem'), '--token-key', p('tk'), '--profile', 'dynamic',
    '--name', '张三丰', '--id-number', ID, '--colour', colour, '--png', p(png)]);
  p.text = { green: person('green', 'green.png'), red: person('red', 'red.png') };
  return p;
}

async function launch(t) {
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
  return { page, errors, base: `http://127.0.0.1:${server.address().port}` };
}

test('the door-check page in headless Chromium', async (t) => {
  const file = codes();
  const { page, errors, base } = await launch(t);
  await page.goto(`${base}/`);
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

  // Once the door is set, a venue code (here a forged one) is ignored: the door stays.
  const ignored = await pick('forged.png', '#result[data-state="ignored"]');
  assert.match(ignored, /venue code ignored/);
  assert.match(await page.locator('#door-state').innerText(), /上海玉佛禅寺 · 东门/);
  // Staff change the door; then the forged poster is refused as such.
  await page.click('#change-door');
  const forged = await pick('forged.png', '#result[data-state="rejected"]');
  assert.equal(await result.getAttribute('data-code'), 'unknown_key', forged);
  assert.deepEqual(errors, []);
});

test('the visitor checks in with their own code: the pass, full-screen, with a live clock', async (t) => {
  const file = codes();
  const { page, errors, base } = await launch(t);
  await page.goto(`${base}/visitor.html`);
  await page.waitForSelector('body[data-ready="true"]');
  // Before the setup, scanning the poster asks for it.
  await page.setInputFiles('#image', file('venue.png'));
  await page.waitForSelector('#error[data-state="not-ready"]');
  await page.setInputFiles('#trust-file', file('trust.json'));
  await page.fill('#my-code', file.text.green);
  await page.waitForSelector('#setup-state[data-state="ready"]');

  await page.setInputFiles('#image', file('venue.png'));
  await page.waitForSelector('#pass[data-state="admit"]');
  const pass = page.locator('#pass');
  assert.equal(await pass.getAttribute('data-colour'), 'green');
  assert.equal(await page.locator('#pass-venue').innerText(), '上海玉佛禅寺');
  assert.equal(await page.locator('#pass-door').innerText(), '东门');
  const text = await pass.innerText();
  assert.match(text, /可以进入 Admit/);
  assert.match(text, /张\*丰/);
  assert.match(text, /\+08:00/);
  // The clock runs: what a screenshot cannot do.
  const before = await page.locator('#pass-clock').innerText();
  await page.waitForFunction((b) => document.getElementById('pass-clock').textContent !== b, before, { timeout: 3000 });
  const html = await page.content();
  assert.ok(!html.includes('张三丰') && !html.includes(ID), 'the page never holds raw holder data');
  // The request it would send names this browser's device and both codes.
  const request = await page.evaluate(() => window.lastCheckInRequest);
  assert.equal(request.personal_code, file.text.green);
  assert.match(request.device, /^web-/);
  mkdirSync(path.join(targetDir, 'artifacts'), { recursive: true });
  await page.screenshot({ path: path.join(targetDir, 'artifacts/web-visitor-pass.png') });

  // A red code: denied, reported, the block red.
  await page.click('#pass-close');
  await page.fill('#my-code', file.text.red);
  await page.setInputFiles('#image', file('venue.png'));
  await page.waitForSelector('#pass[data-state="deny"]');
  assert.equal(await pass.getAttribute('data-colour'), 'red');
  assert.match(await pass.innerText(), /请立即告知工作人员/);
  // A counterfeit poster shows no pass.
  await page.click('#pass-close');
  await page.setInputFiles('#image', file('forged.png'));
  await page.waitForSelector('#error[data-state="unknown_key"]');
  assert.equal(await pass.isHidden(), true);
  // A personal code is not a venue code.
  await page.setInputFiles('#image', file('green.png'));
  await page.waitForSelector('#error[data-state="not-a-venue"]');
  assert.deepEqual(errors, []);
});
