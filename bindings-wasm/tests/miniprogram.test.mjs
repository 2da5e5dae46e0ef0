// The mini-program build (pkg/miniprogram) in simulated WeChat and Alipay runtimes: a Node `vm`
// context that offers only what the runtime offers. No `WebAssembly` global (only WeChat's
// `WXWebAssembly` or Alipay's `MYWebAssembly`, whose `instantiate` takes an absolute path inside
// the package, `.wasm` or `.wasm.br`), no `TextEncoder`/`TextDecoder`, no `fetch`, no `process`,
// no dynamic `import()`, and a `require` that loads the package's own files and nothing of
// Node's. In each, the core's vectors, a decision and a scan; in WeChat, the sample page
// (examples/miniprogram) with `wx.scanCode`, and its visitor's page checking in through
// `demo --serve` with `wx.request`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { brotliDecompressSync } from 'node:zlib';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { demo, personalCode, records, serviceNow, venueCode } from '../../server/tests/demo.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '../..');
const hostRequire = createRequire(import.meta.url);
// Objects made in the runtime's realm, as plain host values (deepEqual compares prototypes).
const plain = (value) => JSON.parse(JSON.stringify(value));
const vectors = (name) => JSON.parse(readFileSync(path.join(root, 'core/tests/vectors', name), 'utf8'));
const pv = vectors('personal.json');
const vv = vectors('venue.json');

/** A mini-program project: the sample's files and the package as "Build npm" lays it out. */
function project() {
  const dir = mkdtempSync(path.join(tmpdir(), 'venuecode-miniprogram-'));
  cpSync(path.join(root, 'examples/miniprogram'), dir, { recursive: true });
  cpSync(path.join(here, '../pkg/miniprogram'), path.join(dir, 'miniprogram_npm/venuecode'), { recursive: true });
  return dir;
}

/** A runtime: `wechat` or `alipay`, over the project in `dir`; `api` is its `wx` or `my`. */
function runtime(kind, dir, api = {}) {
  const instantiate = (where, imports) => {
    // Package paths only, as both runtimes document: absolute, inside the package.
    if (typeof where !== 'string' || !where.startsWith('/') || where.split('/').includes('..')) {
      return Promise.reject(new Error(`not a path inside the package: ${where}`));
    }
    if (!/\.wasm(\.br)?$/.test(where)) return Promise.reject(new Error(`not a .wasm or .wasm.br file: ${where}`));
    const file = path.join(dir, where);
    if (!existsSync(file)) return Promise.reject(new Error(`no such file in the package: ${where}`));
    const bytes = where.endsWith('.br') ? brotliDecompressSync(readFileSync(file)) : readFileSync(file);
    return WebAssembly.instantiate(bytes, imports);
  };
  const wasmApi = { instantiate, Memory: WebAssembly.Memory, Table: WebAssembly.Table, Global: WebAssembly.Global };
  if (kind === 'alipay') wasmApi.Instance = WebAssembly.Instance;
  const pages = [];
  const sandbox = {
    console, setTimeout, clearTimeout, setInterval, clearInterval,
    [kind === 'wechat' ? 'WXWebAssembly' : 'MYWebAssembly']: wasmApi,
    [kind === 'wechat' ? 'wx' : 'my']: api,
    Page: (definition) => pages.push(definition),
    App: () => {},
  };
  const context = vm.createContext(sandbox);
  // V8 gives every context its own WebAssembly: these runtimes have none.
  vm.runInContext('delete globalThis.WebAssembly;', context);
  const cache = new Map();
  const load = (file) => {
    if (!cache.has(file)) {
      const module = { exports: {} };
      cache.set(file, module);
      const source = readFileSync(path.join(dir, file), 'utf8');
      // No importModuleDynamically: import() fails, as in the runtimes.
      const wrapper = new vm.Script(`(function (module, exports, require) {${source}\n})`, { filename: file });
      wrapper.runInContext(context)(module, module.exports, requireFrom(path.posix.dirname(file)));
    }
    return cache.get(file).exports;
  };
  const requireFrom = (from) => (spec) => {
    if (spec === 'venuecode') return load('/miniprogram_npm/venuecode/index.js');
    if (!spec.startsWith('.') && !spec.startsWith('/')) throw new Error(`module '${spec}' is not defined`);
    const file = path.posix.resolve(from, spec);
    return load(file.endsWith('.js') ? file : `${file}.js`);
  };
  return { context, pages, require: requireFrom('/'), run: (code) => vm.runInContext(code, context) };
}

for (const kind of ['wechat', 'alipay']) {
  test(`${kind}: nothing the runtime lacks is used; vectors, a decision and a scan as in Rust`, async () => {
    const rt = runtime(kind, project());
    assert.deepEqual(plain(rt.run('[typeof WebAssembly, typeof TextEncoder, typeof TextDecoder, typeof fetch, typeof process, typeof require]')),
      ['undefined', 'undefined', 'undefined', 'undefined', 'undefined', 'undefined']);
    await assert.rejects(rt.run('import("fs")'));
    assert.throws(() => rt.require('fs'), /not defined/);
    const vc = rt.require('venuecode');
    // A path outside the package, or a file that is not there, is refused; then the right one loads.
    await assert.rejects(vc.init('https://example.invalid/venuecode_bg.wasm'), /inside the package/);
    await assert.rejects(vc.init('/nowhere/venuecode_bg.wasm.br'), /no such file/);
    await vc.init();
    await vc.init(); // once

    const trust = JSON.stringify(vv.trust_list);
    let checked = 0;
    for (const c of vv.cases) {
      if (c.expect === 'valid') {
        assert.deepEqual(plain(vc.verifyVenueCode(c.text, trust, Date.parse(c.at))), c.decoded, c.name);
      } else {
        assert.throws(() => vc.verifyVenueCode(c.text, trust, Date.parse(c.at)), (e) => e.code === c.expect && e.message.length > 0, c.name);
      }
      checked++;
    }
    assert.ok(checked >= 10);
    // Chinese through the runtime-less codec, both ways.
    assert.equal(vc.maskName('买买提·艾力'), '买**·艾*');

    const byName = Object.fromEntries(pv.cases.map((c) => [c.name, c]));
    const ptrust = JSON.stringify(pv.trust_list);
    const green = byName['valid-dynamic'];
    const d = vc.decide(green.text, ptrust, Date.parse(green.at), 'religious', { builtin: 'sh-2022-04-01' });
    assert.deepEqual([d.decision, d.rule, d.holder.name], ['admit', 'green', green.decoded.name]);
    const red = byName['valid-dynamic-red'];
    assert.deepEqual(['decision', 'report'].map((k) => vc.decide(red.text, ptrust, Date.parse(red.at), 'public', {})[k]), ['deny', true]);

    // A scan: a code drawn by the CLI, decoded to RGBA on the host (the camera's side).
    const cli = path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, 'target'), 'debug/venuecode');
    const tmp = mkdtempSync(path.join(tmpdir(), 'venuecode-mp-scan-'));
    execFileSync(cli, ['keygen', '--out', path.join(tmp, 'k.pem'), '--trust', path.join(tmp, 't.json'), '--usage', 'venue', '--prefix', 'HTTPS://VC.SH.GOV.CN/1/'], { stdio: 'ignore' });
    const text = execFileSync(cli, ['venue', 'issue', '--prefix', 'HTTPS://VC.SH.GOV.CN/1/', '--key', path.join(tmp, 'k.pem'), '--id', 'SH-PT-0018',
      '--type', 'religious-venue', '--name', '上海玉佛禅寺', '--division', '310107', '--address', '安远路170号', '--door', '东门', '--png', path.join(tmp, 'c.png')]).toString().trim();
    const { PNG } = hostRequire('pngjs');
    const png = PNG.sync.read(readFileSync(path.join(tmp, 'c.png')));
    const found = vc.scanFrame(new Uint8Array(png.data), png.width, png.height);
    assert.deepEqual(plain(found).map((f) => f.text), [text]);
    assert.equal(vc.verifyVenueCode(found[0].text, readFileSync(path.join(tmp, 't.json'), 'utf8'), Date.now()).door, '东门');
  });
}

test('wechat: the sample page sets the door with wx.scanCode and decides each visitor', async () => {
  const dir = project();
  writeFileSync(path.join(dir, 'config.js'),
    `module.exports = { trustList: ${JSON.stringify(JSON.stringify(pv.trust_list))}, builtin: 'sh-2022-public-48h' };\n`);
  const scans = [];
  const wx = { scanCode: ({ success, fail }) => { const next = scans.shift(); next ? success({ result: next }) : fail({ errMsg: 'scanCode:fail cancel' }); } };
  const rt = runtime('wechat', dir, wx);
  // The page reads the clock: the vectors' moment.
  const byName = Object.fromEntries(pv.cases.map((c) => [c.name, c]));
  rt.run(`Date.now = () => ${Date.parse(byName['valid-dynamic'].at)};`);
  rt.require('/pages/door/index.js');
  assert.equal(rt.pages.length, 1);
  const page = Object.assign({}, rt.pages[0], {
    data: { ...rt.pages[0].data },
    setData(d) { Object.assign(this.data, d); },
  });
  await page.onLoad();
  assert.deepEqual([page.data.ready, page.data.error], [true, '']);

  const forged = vv.cases.find((c) => c.expect === 'unknown_key');
  scans.push(forged.text);
  await page.setDoor();
  assert.match(page.data.error, /^unknown_key: /);
  assert.equal(page.data.door, null);

  scans.push(vv.cases.find((c) => c.name === 'valid-reference').text);
  await page.setDoor();
  assert.deepEqual(plain(page.data.door), { venue: '上海玉佛禅寺', door: '东门', host: 'VC.SH.GOV.CN' });

  scans.push(byName['valid-dynamic'].text);
  await page.checkVisitor();
  const p = page.data.pass;
  assert.deepEqual([p.decision, p.decisionText, p.colour, p.colourText, p.name, p.report], ['admit', '通行', 'green', '绿码', byName['valid-dynamic'].decoded.name, false]);
  assert.ok(p.name.includes('*') && p.idNumber.includes('*'), 'masked holder data only');

  scans.push(byName['valid-dynamic-red'].text);
  await page.checkVisitor();
  assert.deepEqual([page.data.pass.decision, page.data.pass.report, page.data.pass.colour], ['deny', true, 'red']);

  await page.checkVisitor(); // the visitor cancels the camera
  assert.match(page.data.error, /cancel/);
  page.onUnload();
});

test('wechat: the visitor scans the poster and checks in with two companions through the service', async (t) => {
  // The records service of `demo --serve`, which the page reaches with `wx.request`.
  const d = await demo(t);
  const dir = project();
  writeFileSync(path.join(dir, 'config.js'),
    `module.exports = { trustList: null, builtin: 'sh-2022-public-48h', serviceUrl: ${JSON.stringify(d.base)} };\n`);
  const storage = new Map();
  const scans = [];
  const wx = {
    scanCode: ({ success, fail }) => { const next = scans.shift(); next ? success({ result: next }) : fail({ errMsg: 'scanCode:fail cancel' }); },
    getStorageSync: (key) => (storage.has(key) ? storage.get(key) : ''),
    setStorageSync: (key, value) => storage.set(key, value),
    // WeChat sends an object body as JSON and gives the parsed answer.
    request: ({ url, method, header, data, success, fail }) => {
      fetch(url, { method, headers: header, body: JSON.stringify(data) })
        .then(async (r) => success({ statusCode: r.status, data: await r.json().catch(() => null) }))
        .catch((e) => fail({ errMsg: `request:fail ${e.message}` }));
    },
  };
  storage.set('venuecode.wallet', [
    personalCode(d, { name: '访客甲', id: '11010519491231002X', colour: 'green' }),
    personalCode(d, { profile: 'offline', name: '老人乙', id: '310101195001010014' }),
  ]);
  const rt = runtime('wechat', dir, wx);
  // The phone's clock is the service's (the demo's day).
  rt.run(`{ const real = Date.now; const offset = ${Date.parse(serviceNow(d)) - Date.now()}; Date.now = () => real() + offset; }`);
  rt.require('/pages/visit/index.js');
  const page = Object.assign({}, rt.pages[0], {
    data: { ...rt.pages[0].data },
    setData(x) { Object.assign(this.data, x); },
  });
  await page.onLoad({});
  const before = (await records(d)).length;

  // A companion added by scanning their printed offline code: into the wallet, nothing sent.
  scans.push(personalCode(d, { profile: 'offline', name: '孩子丙', id: '440304201501010026' }));
  await page.scanCompanion();
  assert.equal(page.data.companions, 2);
  assert.equal(JSON.parse(storage.get('venuecode.wallet')).length, 3);
  assert.equal((await records(d)).length, before);

  // WeChat's scan of the poster gives the code's text: each person's pass, recorded.
  scans.push(venueCode(d, '东门'));
  await page.scanVenue();
  const passes = plain(page.data.passes);
  assert.equal(passes.length, 3, JSON.stringify(passes));
  assert.ok(passes.every((p) => p.recorded && p.venue === '上海玉佛禅寺' && p.door === '东门'), JSON.stringify(passes));
  assert.deepEqual([passes[0].colourText, passes[0].decision], ['✓ 绿码', 'admit']);
  assert.ok(passes[0].who.startsWith('本人') && passes[1].who.startsWith('同行人员 1'));
  for (const p of passes) {
    assert.match(p.time, /^\d\d:\d\d:\d\d$/);
    assert.match(p.date, /^2022年\d+月\d+日$/);
  }
  const entered = (await records(d)).slice(before);
  assert.equal(entered.length, 3, 'the manager sees the three entries');
  // The companions' records are their own, each naming the holder's.
  assert.deepEqual(entered.map((r) => r.origin), ['self_scan', 'companion', 'companion']);
  assert.ok(entered.slice(1).every((r) => r.companion_of === entered[0].id), JSON.stringify(entered));

  // The mini-program opened from the poster's URL (WeChat's `q`, its host in lower case).
  const url = venueCode(d, '北门').replace('HTTPS://VC.SH.GOV.CN', 'https://vc.sh.gov.cn');
  await page.onLoad({ q: encodeURIComponent(url) });
  assert.ok(plain(page.data.passes).every((p) => p.recorded && p.door === '北门'));
  assert.equal((await records(d)).length, before + 6);

  // A forged poster: every check-in refused by the service, "未登记", nothing recorded.
  const forged = venueCode(d, '东门');
  scans.push(forged.slice(0, -1) + (forged.at(-1) === 'A' ? 'B' : 'A'));
  await page.scanVenue();
  const refused = plain(page.data.passes);
  assert.equal(refused.length, 3);
  assert.ok(refused.every((p) => !p.recorded && p.notRecorded.startsWith('未登记')), JSON.stringify(refused));
  assert.equal((await records(d)).length, before + 6);
});
