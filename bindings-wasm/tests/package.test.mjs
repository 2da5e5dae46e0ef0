// The npm package as a user gets it: `npm pack` of bindings-wasm/pkg, the tarball installed into
// an empty folder, then used from Node CommonJS, Node ES modules, TypeScript (`tsc --strict`
// over an example that reads typed fields, and over every result the module gave, as literals
// of their declared types: a field the types lack or mistype fails), and an esbuild bundle run
// in headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '../..');
const tools = path.join(here, '../node_modules/.bin');
const vectors = (name) => JSON.parse(readFileSync(path.join(root, 'core/tests/vectors', name), 'utf8'));
const pv = vectors('personal.json');
const venue = vectors('venue.json').cases.find((c) => c.name === 'valid-reference');
const dynamic = pv.cases.find((c) => c.name === 'valid-dynamic');
const forged = vectors('venue.json').cases.find((c) => c.expect === 'unknown_key');
// What every consumer below checks: the venue, the admission there, a forgery's code.
const input = { trust: JSON.stringify(pv.trust_list), venue: venue.text, code: dynamic.text, at: Date.parse(dynamic.at), forged: forged.text };
const expected = ['上海玉佛禅寺', '东门', 'admit', dynamic.decoded.name, 'unknown_key'];

// Packed and installed once for all the tests.
const consumer = mkdtempSync(path.join(tmpdir(), 'venuecode-npm-'));
const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', consumer],
  { cwd: path.join(here, '../pkg') }).toString())[0];
writeFileSync(path.join(consumer, 'package.json'), '{ "name": "consumer", "private": true }\n');
execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', `./${packed.filename}`], { cwd: consumer });
writeFileSync(path.join(consumer, 'input.json'), JSON.stringify(input));
const run = (file, source) => {
  writeFileSync(path.join(consumer, file), source);
  return JSON.parse(execFileSync('node', [file], { cwd: consumer }).toString());
};

test('the tarball has its README, licences, types, both builds, the loaders and the mini-program build', () => {
  const files = packed.files.map((f) => f.path);
  for (const f of ['package.json', 'README.md', 'LICENSE-MIT', 'LICENSE-APACHE',
    'node/venuecode_wasm.js', 'node/index.mjs', 'node/index.d.mts', 'node/venuecode_wasm.d.ts', 'node/venuecode_wasm_bg.wasm',
    'web/venuecode_wasm.js', 'web/venuecode_wasm_bg.wasm', 'web/loader.mjs', 'web/loader.d.mts', 'web/utf8.mjs',
    'verify/venuecode_wasm.js', 'verify/index.mjs', 'verify-web/venuecode_wasm.js', 'verify-web/venuecode_wasm_bg.wasm',
    'miniprogram/index.js', 'miniprogram/index.d.ts', 'miniprogram/venuecode_bg.wasm.br']) {
    assert.ok(files.includes(f), `${f} is in the tarball`);
  }
  assert.equal(packed.name, 'venuecode');
  assert.ok(readFileSync(path.join(consumer, 'node_modules/venuecode/LICENSE-MIT'), 'utf8').includes('Permission is hereby granted'));
});

const checks = `
const input = JSON.parse(require('fs').readFileSync('input.json', 'utf8'));
function checks(vc) {
  const v = vc.verifyVenueCode(input.venue, input.trust, input.at);
  const gate = new vc.Gate(input.trust, input.at, {});
  gate.door(input.venue, input.at);
  const a = gate.admit(input.code, input.at);
  let code = null;
  try { vc.verifyVenueCode(input.forged, input.trust, input.at); } catch (e) { code = e instanceof Error && e.code; }
  return [v.name, v.door, a.decision, a.holder.name, code];
}
`;

test('Node CommonJS: require gives the Node build, ready at once; ./verify too', () => {
  const got = run('cjs.cjs', `${checks}
const vc = require('venuecode');
const verify = require('venuecode/verify');
const v = verify.verifyVenueCode(input.venue, input.trust, input.at);
console.log(JSON.stringify({ full: checks(vc), verify: [v.name, typeof verify.Gate] }));
`);
  assert.deepEqual(got.full, expected);
  assert.deepEqual(got.verify, ['上海玉佛禅寺', 'undefined']);
});

test('Node ES modules: import gives named exports with no init and no fetch; one instance with require', () => {
  const got = run('esm.mjs', `
import { createRequire } from 'node:module';
import * as vc from 'venuecode';
import { verifyVenueCode } from 'venuecode/verify';
const require = createRequire(import.meta.url);
${checks.replace("require('fs')", "require('node:fs')")}
const input2 = JSON.parse(require('node:fs').readFileSync('input.json', 'utf8'));
console.log(JSON.stringify({ full: checks(vc), verify: verifyVenueCode(input2.venue, input2.trust, input2.at).door,
  same: vc.Gate === require('venuecode').Gate }));
`);
  assert.deepEqual(got.full, expected);
  assert.equal(got.verify, '东门');
  assert.equal(got.same, true);
});

test('TypeScript --strict: typed fields read in an example, every result the module gives fits its declared type', () => {
  // The results of one run, as literals of their declared types: excess or mistyped fields fail.
  const vc = require(path.join(consumer, 'node_modules/venuecode/node/venuecode_wasm.js'));
  const lists = { statusList: Uint8Array.from(Buffer.from(pv.status_list, 'hex')), revocations: Uint8Array.from(Buffer.from(pv.revocations, 'hex')) };
  const gate = new vc.Gate(input.trust, input.at, lists);
  const results = {
    VenueCode: [vc.verifyVenueCode(input.venue, input.trust, input.at)],
    Door: [gate.door(input.venue, input.at)],
    Admission: pv.cases.filter((c) => c.expect === 'valid' || c.expect === 'expired')
      .map((c) => gate.admit(c.text, Date.parse(c.at)))
      .concat([vc.decide(input.code, input.trust, input.at, 'public', { builtin: 'sh-2022-04-01' })]),
    PersonalReport: pv.cases.filter((c) => c.expect === 'valid')
      .map((c) => vc.verifyPersonalCode(c.text, input.trust, Date.parse(c.at), { statusList: lists.statusList })),
    CheckIn: [new vc.Gate(input.trust, input.at, {}).checkIn(input.venue, input.code, 'phone-1', input.at)],
    Found: [],
  };
  // A poster's code as the CLI draws it, scanned.
  const cli = path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, 'target'), 'debug/venuecode');
  execFileSync(cli, ['keygen', '--out', path.join(consumer, 'k.pem'), '--trust', path.join(consumer, 't.json'), '--usage', 'venue', '--prefix', 'HTTPS://VC.SH.GOV.CN/1/'], { stdio: 'ignore' });
  execFileSync(cli, ['venue', 'issue', '--prefix', 'HTTPS://VC.SH.GOV.CN/1/', '--key', path.join(consumer, 'k.pem'), '--id', 'SH-PT-0018',
    '--type', 'religious-venue', '--name', '上海玉佛禅寺', '--division', '310107', '--address', '安远路170号', '--door', '东门', '--png', path.join(consumer, 'c.png')], { stdio: 'ignore' });
  const { PNG } = require('pngjs');
  const png = PNG.sync.read(readFileSync(path.join(consumer, 'c.png')));
  results.Found = vc.scanFrame(png.data, png.width, png.height);
  assert.ok(results.Found.length >= 1 && results.Admission.length >= 5);
  assert.ok(results.Admission.some((a) => a.code === 'expired') && results.Admission.some((a) => a.decision === 'admit'));
  const literals = Object.entries(results).flatMap(([type, values]) =>
    values.map((v, i) => `export const ${type.toLowerCase()}${i}: vc.${type} = ${JSON.stringify(v)};`));
  writeFileSync(path.join(consumer, 'results.ts'), `import type * as vc from 'venuecode';\n${literals.join('\n')}\n` +
    `export const codes: vc.ErrorCode[] = ${JSON.stringify(vc.errorCodes())};\n` +
    `// Every declared error code is one the module knows, and the other way round.\n` +
    `type Missing = Exclude<vc.ErrorCode, (typeof codes)[number]>;\n` +
    `export const none: [Missing] extends [never] ? true : false = true;\n`);
  writeFileSync(path.join(consumer, 'example.mts'), `
import { verifyVenueCode, Gate, type Admission, type ErrorCode, type VenuecodeError } from 'venuecode';
import { readFileSync } from 'node:fs';
const input = JSON.parse(readFileSync('input.json', 'utf8')) as { trust: string; venue: string; code: string; at: number };
const venue = verifyVenueCode(input.venue, input.trust, input.at);
const door: string = venue.door;
const until: string | null = venue.valid_until;
const gate = new Gate(input.trust, input.at, { maxStatusAgeHours: 24, rootKids: [] });
gate.door(input.venue, input.at);
const a: Admission = gate.admit(input.code, input.at);
const decision: 'admit' | 'deny' | 'manual' = a.decision;
const colour = a.status.state === 'unknown' ? null : a.status.colour;
const name: string | undefined = a.holder?.name;
try { verifyVenueCode('x', input.trust, input.at); } catch (e) { const code: ErrorCode = (e as VenuecodeError).code; console.log(code); }
// @ts-expect-error: a decision is one of three words
const wrong: 'admit' | 'deny' = a.decision;
// @ts-expect-error: options are typed
new Gate(input.trust, input.at, { statusList: 'not bytes' });
console.log(door, until, decision, colour, name, wrong);
`);
  const tsc = (args) => execFileSync(path.join(tools, 'tsc'), ['--strict', '--noEmit', ...args],
    { cwd: consumer, stdio: 'pipe' });
  // Node's resolution (the "node" conditions) and a bundler's (the "import"/"browser" ones).
  try {
    // example.mts takes the ES-module types (node/index.d.mts), results.ts the CommonJS ones.
    tsc(['--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', '--typeRoots', path.join(here, '../node_modules/@types'), 'example.mts', 'results.ts']);
    tsc(['--module', 'esnext', '--moduleResolution', 'bundler', '--target', 'es2022', '--lib', 'es2022,esnext.disposable,dom', 'results.ts']);
  } catch (e) {
    assert.fail(`tsc: ${e.stdout}${e.stderr}`);
  }
});

test('an esbuild bundle runs in headless Chromium, loading the .wasm the package exports', async (t) => {
  const app = path.join(consumer, 'app.mjs');
  writeFileSync(app, `
import init, { verifyVenueCode, Gate } from 'venuecode';
import wasmUrl from 'venuecode/venuecode_wasm_bg.wasm';
import input from './input.json';
${checks.split('\n').filter((l) => !l.includes('readFileSync')).join('\n')}
init({ module_or_path: wasmUrl }).then(() => {
  window.result = checks({ verifyVenueCode, Gate });
}).catch((e) => { window.result = String(e); });
`);
  const out = path.join(consumer, 'www');
  mkdirSync(out, { recursive: true });
  execFileSync(path.join(tools, 'esbuild'), [app, '--bundle', '--format=esm', '--platform=browser', '--loader:.wasm=file',
    '--asset-names=[name]-[hash]', `--outdir=${out}`, '--log-level=warning'], { cwd: consumer });
  writeFileSync(path.join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="app.js"></script>');
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
  const server = createServer((req, res) => {
    const file = path.join(out, path.normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^\/+$/, '/index.html'));
    if (!file.startsWith(out)) { res.writeHead(403).end(); return; }
    let body;
    try { body = readFileSync(file); } catch { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(body);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { chromium } = require('playwright-core');
  const browser = await chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), 'venuecode-chromium-')), {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  t.after(async () => { await browser.close(); server.close(); });
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
  await page.waitForFunction(() => window.result !== undefined, null, { timeout: 20000 });
  assert.deepEqual(await page.evaluate(() => window.result), expected);
  assert.deepEqual(errors, []);
});
