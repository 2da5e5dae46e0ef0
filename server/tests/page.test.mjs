// The manager's page of `venuecode demo --serve` in headless Chromium, driven by Playwright: log
// in with the printed token, a visitor's check-in appears in the counts, a red one raises the
// live report, another venue's records are refused, English switches on. A screenshot is kept
// in target/artifacts/service-page.png. Run by scripts/test-all after the CLI is built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { demo, personalCode, root, serviceNow, targetDir, venueCode } from './demo.mjs';

// playwright-core is installed with the WASM package's tools (scripts/wasm).
const require = createRequire(path.join(root, 'bindings-wasm/package.json'));
const { chromium } = require('playwright-core');

// A visitor's check-in now (by the service's clock), with a fresh code of `colour`.
async function checkIn(d, colour, n) {
  const venue = venueCode(d, '东门');
  const personal = personalCode(d, { name: `访客${n}`, id: '11010519491231002X', colour });
  const r = await fetch(`${d.base}/v1/check-ins`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ venue_code: venue, personal_code: personal, device: `phone-${n}`, at: serviceNow(d) }),
  });
  const body = await r.json();
  assert.equal(r.status, 200, JSON.stringify(body));
  return body;
}

test('a manager logs in, sees a check-in counted and a red one reported live', async (t) => {
  const d = await demo(t);
  assert.ok(d.base && d.manager && d.district, JSON.stringify(d));
  const profile = mkdtempSync(path.join(tmpdir(), 'venuecode-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1100, height: 1400 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));

  // A wrong token: refused, still the login page.
  await page.goto(`${d.base}/`);
  await page.fill('#token', 'vct_wrong');
  await page.click('#login');
  await page.waitForSelector('.error');
  await page.fill('#token', d.manager);
  await page.click('#login');
  await page.waitForSelector('#scans');
  assert.equal(await page.textContent('h1'), '场所码 · 扫码记录', 'Chinese first');
  await page.waitForFunction(() => document.querySelector('#scans').textContent !== '–');
  const before = Number(await page.textContent('#scans'));
  assert.ok(before > 0, 'the demo day has scans');

  // A green check-in: in the counts once the page reads them again.
  const green = await checkIn(d, 'green', 1);
  assert.equal(green.pass.decision, 'admit');
  await page.reload();
  await page.waitForFunction((n) => Number(document.querySelector('#scans').textContent) === n, before + 1);

  // A red one: the live report arrives without a reload, and the counts follow.
  await page.waitForFunction(() => !document.querySelector('#live').classList.contains('off'));
  await page.waitForTimeout(300);
  const red = await checkIn(d, 'red', 2);
  assert.equal(red.pass.report, true);
  await page.waitForSelector('#alerts li.red', { timeout: 10000 });
  await page.waitForFunction((n) => Number(document.querySelector('#scans').textContent) === n, before + 2);
  const alert = await page.textContent('#alerts li.red');
  assert.ok(alert.includes('东门') && alert.includes('红码'), alert);
  assert.ok(!alert.includes('三丰') && !alert.includes('11010519491231002X'));
  const details = await page.textContent('#records');
  assert.ok(!details.includes('11010519491231002X') && !details.includes('访客'), 'details desensitised');

  // The view to publish (k = 20): the few reds are withheld (＊, with the note), as is any
  // count that would give them away, and the hourly chart goes.
  const exactRed = Number(await page.textContent('#red'));
  assert.ok(exactRed > 0 && exactRed < 20, `red ${exactRed}`);
  await page.selectOption('#k', '20');
  await page.waitForSelector('#withheld-note', { state: 'visible' });
  assert.equal(await page.textContent('#red'), '＊');
  assert.ok(await page.isHidden('#chart') && await page.isVisible('#chart-withheld'));
  const shown = await page.evaluate(async (v) => (await (await fetch(`/v1/venues/${v}/stats?k=20`)).json()).summary, d.venue);
  assert.equal(shown.by_colour.red, null);
  assert.ok(shown.reports === null || shown.by_colour.yellow === null, 'red is not reports less yellow');
  await page.selectOption('#k', '');
  await page.waitForSelector('#withheld-note', { state: 'hidden' });
  assert.equal(Number(await page.textContent('#red')), exactRed);

  mkdirSync(path.join(targetDir, 'artifacts'), { recursive: true });
  await page.screenshot({ path: path.join(targetDir, 'artifacts/service-page.png') });

  // Another venue's records, with this session: refused.
  const other = await page.evaluate(async () => {
    const r = await fetch('/v1/venues/SH-PT-0101/records');
    return { status: r.status, body: await r.json() };
  });
  assert.deepEqual([other.status, other.body.error.code], [403, 'forbidden']);
  // A change by this session without its CSRF token: refused.
  const forged = await page.evaluate(async () => (await fetch('/v1/lists/trust', { method: 'PUT', body: 'x' })).status);
  assert.equal(forged, 403);

  await page.click('#lang');
  assert.equal(await page.textContent('h1'), 'Venue code · scan records');
  await page.click('#logout button');
  await page.waitForSelector('#token');

  // The district's page: its coverage, with the registered venue that has no code.
  await page.fill('#token', d.district);
  await page.click('#login');
  await page.waitForSelector('#coverage tbody tr');
  const summary = await page.textContent('#coverage-summary');
  assert.ok(summary.startsWith('310107: 2/3'), summary);
  assert.ok((await page.textContent('#coverage')).includes('SH-PT-0999'));
  await page.screenshot({ path: path.join(targetDir, 'artifacts/service-district.png') });
  assert.deepEqual(errors, []);

  // The authority traces the venue's day over HTTP; the manager may not.
  const query = {
    venue_id: d.venue, from: '2022-04-06T00:00:00+08:00', to: '2022-04-06T23:59:59+08:00', reason: 'demo case',
  };
  const ask = (token) => fetch(`${d.base}/v1/trace/venue`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(query),
  });
  const traced = await ask(d.authority);
  const report = await traced.json();
  assert.equal(traced.status, 200, JSON.stringify(report));
  assert.ok(report.present.length > 0, JSON.stringify(report.coverage));
  assert.match(report.audit_head, /^[0-9a-f]{64}$/);
  assert.equal((await ask(d.manager)).status, 403);
});
