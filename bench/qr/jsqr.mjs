// The WASM scanner against jsQR (a pure-JS decoder many web apps use) on the damaged-image set,
// in Node, image decoding (pngjs, and jpeg-js for the set's JPEGs) included for both. Prints a table by kind of damage; exits 1 if
// the WASM scanner decodes fewer images than jsQR. The time goal (at most half of jsQR's) is
// printed, not enforced: timings on a shared machine are not a test.
//
//   node bench/qr/jsqr.mjs SET_DIR        (make the set with bench/qr/make_set.py)
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const require = createRequire(path.join(process.cwd(), 'bindings-wasm/package.json'));
const { PNG } = require('pngjs');
const jsQR = require('jsqr');
const jpeg = require('jpeg-js');
const vc = require(path.resolve('bindings-wasm/pkg/node/venuecode_wasm.js'));

const dir = process.argv[2];
const rows = readFileSync(path.join(dir, 'manifest.csv'), 'utf8').trim().split(/\r?\n/).slice(1)
  .map((line) => { const [file, kind, text] = line.split(','); return { file, kind, text }; });

const decoders = {
  venuecode: (img) => vc.scanFrame(img.data, img.width, img.height).map((f) => f.text),
  jsqr: (img) => {
    const r = jsQR(new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length), img.width, img.height);
    return r ? [r.data] : [];
  },
};

// Interleaved, in alternating order, so that both get the same warm JIT for the JS decoders.
const results = Object.fromEntries(Object.keys(decoders).map((n) => [n, { byKind: {}, ok: 0, ms: 0, decodeMs: 0 }]));
rows.forEach((r, i) => {
  const bytes = readFileSync(path.join(dir, r.file));
  const names = Object.keys(decoders);
  for (const name of i % 2 ? names.reverse() : names) {
    const t0 = performance.now();
    const img = r.file.endsWith('.png') ? PNG.sync.read(bytes) : jpeg.decode(bytes, { useTArray: true });
    const t1 = performance.now();
    const texts = decoders[name](img);
    const res = results[name];
    res.ms += performance.now() - t0;
    res.decodeMs += t1 - t0;
    const hit = texts.includes(r.text);
    res.byKind[r.kind] = (res.byKind[r.kind] ?? 0) + (hit ? 1 : 0);
    res.ok += hit ? 1 : 0;
  }
});

const kinds = [...new Set(rows.map((r) => r.kind))];
const total = (k) => rows.filter((r) => r.kind === k).length;
const pad = (s, n) => String(s).padEnd(n);
console.log(`${pad('kind', 14)}${pad('images', 8)}${pad('venuecode (wasm)', 18)}jsqr`);
for (const k of kinds) {
  console.log(`${pad(k, 14)}${pad(total(k), 8)}${pad(results.venuecode.byKind[k], 18)}${results.jsqr.byKind[k]}`);
}
const v = results.venuecode;
const j = results.jsqr;
console.log(`${pad('all', 14)}${pad(rows.length, 8)}${pad(v.ok, 18)}${j.ok}`);
const secs = (x) => `${(x / 1000).toFixed(2)} s`;
console.log(`${pad('time', 22)}${pad(secs(v.ms), 18)}${secs(j.ms)}`);
console.log(`${pad('  of it decoding', 22)}${pad(secs(v.decodeMs), 18)}${secs(j.decodeMs)}`);
const ratio = v.ms / j.ms;
console.log(`decoded: venuecode ${v.ok} vs jsqr ${j.ok} (goal: at least as many): ${v.ok >= j.ok ? 'met' : 'NOT met'}`);
console.log(`time: venuecode/jsqr = ${ratio.toFixed(2)} (goal: at most 0.5): ${ratio <= 0.5 ? 'met' : 'NOT met'}`);
process.exitCode = v.ok >= j.ok ? 0 : 1;
