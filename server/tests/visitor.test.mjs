// The visitor's scan served end to end (扫码 → 亮码 → 登记) in headless Chromium at a phone's
// size: a poster made by the CLI, opened through the code's own URL path on `demo --serve`,
// checks in the visitor and two companions from the device's wallet; the manager sees the three
// entries; a red code gives the red pass and a report; a forged poster gives the refusal and
// records nothing; the service stopped gives "not recorded". Screenshots in target/artifacts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { demo, personalCode, records, root, serviceNow, targetDir } from './demo.mjs';

// playwright-core is installed with the WASM package's tools (scripts/wasm).
const require = createRequire(path.join(root, 'bindings-wasm/package.json'));
const { chromium } = require('playwright-core');

// The manager's report stream: resolves with the first report's data.
async function firstReport(d) {
  const controller = new AbortController();
  const r = await fetch(`${d.base}/v1/venues/${d.venue}/reports`, {
    headers: { authorization: `Bearer ${d.manager}` },
    signal: controller.signal,
  });
  assert.equal(r.status, 200);
  const reader = r.body.getReader();
  let text = '';
  return {
    stop: () => controller.abort(),
    next: async () => {
      for (;;) {
        const data = text.match(/^data: (.*)$/m);
        if (data) {
          text = text.slice(text.indexOf(data[0]) + data[0].length);
          return JSON.parse(data[1]);
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('the stream ended');
        text += new TextDecoder().decode(value);
      }
    },
  };
}

// Chromium at a phone's size, with a profile of its own.
async function launch(t) {
  const profile = mkdtempSync(path.join(tmpdir(), 'venuecode-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  t.after(() => browser.close());
  return browser;
}

test('a visitor opens the poster, checks in with two companions, and sees each recorded pass', async (t) => {
  const d = await demo(t);
  assert.ok(d.base && d.manager, JSON.stringify(d));
  // The URL of the poster the demo printed for the east door, opened on this service.
  const url = d.posters?.['东门'];
  assert.ok(url?.startsWith(`${d.base}/1/`), JSON.stringify(d.posters));
  const wallet = [
    personalCode(d, { name: '访客甲', id: '11010519491231002X', colour: 'green' }),
    personalCode(d, { profile: 'offline', name: '老人乙', id: '310101195001010014' }),
    personalCode(d, { profile: 'offline', name: '孩子丙', id: '440304201501010026' }),
  ];
  const before = (await records(d)).length;

  const browser = await launch(t);
  await browser.addInitScript((codes) => {
    if (!localStorage.getItem('venuecode.wallet')) localStorage.setItem('venuecode.wallet', JSON.stringify(codes));
  }, wallet);
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));

  // The landing page: the door, verified, and the three people the device holds codes for.
  const landing = await page.goto(url);
  assert.equal(landing.status(), 200);
  assert.match(landing.headers()['content-security-policy'], /script-src 'self'/);
  assert.equal(await page.textContent('h1'), '上海玉佛禅寺');
  assert.equal(await page.textContent('#door'), '东门');
  assert.equal(await page.locator('#wallet li').count(), 3);
  assert.equal(await page.textContent('#wallet li:nth-child(2) label'), '同行人员 1');

  await page.click('#check-in');
  // A second tap records nobody twice: the button is spent until the poster is scanned again.
  assert.ok(await page.isDisabled('#check-in'));
  await page.click('#check-in', { force: true });
  await page.waitForFunction(() => document.querySelectorAll('.pass[data-state="recorded"]').length === 3,
    null, { timeout: 20000 });
  assert.equal(await page.locator('.pass').count(), 3);
  const passes = await page.$$eval('.pass', (cards) => cards.map((c) => ({
    who: c.querySelector('.who').textContent,
    colour: c.dataset.colour,
    word: c.querySelector('.colour .word').textContent,
    time: c.querySelector('.entry .time').textContent,
    date: c.querySelector('.entry .date').textContent,
  })));
  assert.equal(passes[0].colour, 'green');
  assert.equal(passes[0].word, '绿码');
  assert.ok(passes[0].who.startsWith('本人'), passes[0].who);
  for (const p of passes) {
    assert.match(p.time, /^\d\d:\d\d:\d\d$/);
    assert.match(p.date, /^2022年\d+月\d+日$/);
  }
  mkdirSync(path.join(targetDir, 'artifacts'), { recursive: true });
  await page.screenshot({ path: path.join(targetDir, 'artifacts/visitor-pass.png'), fullPage: true });

  // The manager sees the three entries, desensitised, each with the time the pass showed.
  const after = await records(d);
  assert.equal(after.length, before + 3);
  const entered = after.slice(-3);
  assert.ok(entered.every((r) => r.door === '东门'), JSON.stringify(entered));
  // The visitor's own check-in, then each companion's: a record of their own, origin
  // `companion`, naming the visitor's, from the same phone.
  const [own, ...companions] = entered;
  assert.equal(own.origin, 'self_scan');
  assert.equal(own.companion_of, null);
  for (const c of companions) {
    assert.equal(c.origin, 'companion');
    assert.equal(c.companion_of, own.id);
    assert.equal(c.device, own.device);
    assert.notEqual(c.pseudonym, own.pseudonym);
  }
  assert.ok(!JSON.stringify(entered).includes('11010519491231002X'));

  // A red code: the red pass, what to do, and a report on the manager's stream.
  const reports = await firstReport(d);
  t.after(() => reports.stop());
  await page.evaluate((code) => localStorage.setItem('venuecode.wallet', JSON.stringify([code])),
    personalCode(d, { name: '访客丁', id: '310101198001010018', colour: 'red' }));
  await page.reload();
  await page.click('#check-in');
  await page.waitForSelector('.pass[data-state="recorded"][data-colour="red"]', { timeout: 20000 });
  assert.equal(await page.textContent('.pass .colour .word'), '红码');
  assert.ok((await page.textContent('.pass .warn')).includes('禁止通行，请向工作人员报告'));
  const report = await reports.next();
  assert.equal(report.door, '东门');
  await page.screenshot({ path: path.join(targetDir, 'artifacts/visitor-red.png'), fullPage: true });

  // English, switched on the page.
  await page.click('#lang');
  assert.equal(await page.textContent('#check-in'), 'Check in');
  assert.ok(await page.isDisabled('#check-in'), 'still spent in English');
  await page.click('#lang');

  // A forged poster (one character of its payload changed): refused, nothing recorded.
  const count = (await records(d)).length;
  const last = url.at(-1) === 'A' ? 'B' : 'A';
  const forged = await page.goto(url.slice(0, -1) + last);
  assert.equal(forged.status(), 422);
  assert.ok(['bad_signature', 'malformed'].includes(await page.getAttribute('#refused', 'data-code')));
  assert.ok((await page.textContent('h1')).includes('此场所码无效'));
  await page.screenshot({ path: path.join(targetDir, 'artifacts/visitor-refused.png'), fullPage: true });
  assert.equal((await records(d)).length, count);

  // The service stopped: the page says plainly that the entry was not recorded.
  await page.goto(url);
  d.child.kill('SIGTERM');
  await new Promise((resolve) => d.child.once('exit', resolve));
  await page.click('#check-in');
  await page.waitForSelector('.pass[data-state="not-recorded"]', { timeout: 20000 });
  assert.ok((await page.textContent('.pass.failed .decision')).includes('未登记'));
  assert.equal(await page.locator('.pass[data-state="recorded"]').count(), 0);
  assert.deepEqual(errors, []);
});

test('a holder logs in, and the poster checks them in with the code the service issues, and a companion', async (t) => {
  const d = await demo(t);
  const green = d.holders?.green;
  assert.ok(green, JSON.stringify(d.holders));
  const url = d.posters['北门'];
  const browser = await launch(t);
  await browser.addInitScript((code) => localStorage.setItem('venuecode.wallet', JSON.stringify([code])),
    personalCode(d, { profile: 'offline', name: '老人乙', id: '310101195001010014' }));
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const before = (await records(d)).length;

  // Logged in with the holder's token: the home page says what to do, in Chinese first.
  await page.goto(`${d.base}/`);
  await page.fill('#token', green.token);
  await Promise.all([page.waitForURL(`${d.base}/`), page.click('button[type=submit]')]);
  assert.equal(await page.textContent('#holder-name'), green.name);
  assert.ok((await page.textContent('main')).includes('扫描场所门口张贴的场所码'));

  // The poster: the holder's own code comes from the service; the wallet holds the companion.
  const codes = [];
  page.on('response', async (r) => {
    if (r.url().endsWith('/v1/holder/code') && r.ok()) codes.push((await r.json()).code);
  });
  await page.goto(url);
  await page.waitForSelector('#wallet li:first-child label:has-text("·")');
  assert.equal(await page.textContent('#wallet li:first-child label'), `本人 · ${green.name}`);
  assert.equal(await page.textContent('#wallet li:nth-child(2) label'), '同行人员 1');
  // A companion with no code, by name and ID number: the service gives their code; the page
  // keeps the code only, and shows only the masks.
  await page.click('#add-person summary');
  await page.fill('#person-name', '王小五');
  await page.fill('#person-id', '440304201501010026');
  await page.click('#person-save');
  await page.waitForFunction(() => document.querySelectorAll('#wallet li').length === 3);
  assert.ok((await page.textContent('#status')).includes('王*五'));
  assert.equal(await page.inputValue('#person-id'), '');
  const kept = await page.evaluate(() => localStorage.getItem('venuecode.wallet'));
  assert.ok(!kept.includes('王小五') && !kept.includes('440304201501010026'), kept);
  await page.click('#check-in');
  await page.waitForFunction(() => document.querySelectorAll('.pass[data-state="recorded"]').length === 3,
    null, { timeout: 20000 });
  const own = await page.$eval('.pass', (c) => ({ colour: c.dataset.colour, who: c.querySelector('.who').textContent }));
  assert.equal(own.colour, 'green');
  assert.ok(own.who.includes(green.name), own.who);
  assert.ok(codes.length >= 1, 'the code came from the service');

  // Three records: the holder's own check-in, and each companion's naming it.
  const after = await records(d);
  assert.equal(after.length, before + 3);
  const [mine, ...companions] = after.slice(-3);
  assert.equal(mine.origin, 'self_scan');
  assert.equal(mine.door, '北门');
  for (const c of companions) {
    assert.equal(c.origin, 'companion');
    assert.equal(c.companion_of, mine.id);
  }
  await page.screenshot({ path: path.join(targetDir, 'artifacts/visitor-holder.png'), fullPage: true });
  assert.deepEqual(errors, []);

  // The page inside a health-code app (随申码) whose webview gives the visitor's code through
  // its bridge: no login, no wallet; the code is the app's.
  const app = await launch(t);
  const issued = personalCode(d, { name: '访客戊', id: '440304201501010026', colour: 'green' });
  const offset = Date.parse(serviceNow(d)) - Date.now();
  await app.addInitScript(([code, offset]) => {
    window.venuecodeHealthCode = async () => ({ code, name: '访*戊', valid_until: new Date(Date.now() + offset + 60000).toISOString() });
  }, [issued, offset]);
  const inApp = await app.newPage();
  await inApp.goto(d.posters['东门']);
  await inApp.waitForSelector('#wallet li:first-child label:has-text("访*戊")');
  assert.equal(await inApp.locator('#wallet li').count(), 1);
  await inApp.click('#check-in');
  await inApp.waitForSelector('.pass[data-state="recorded"]', { timeout: 20000 });
  assert.equal((await records(d)).length, before + 4);
  assert.ok(await inApp.isHidden('#add-person'), 'companions by name are a logged-in holder\'s');
});
