// The loader where TextEncoder and TextDecoder do not exist (some mini-program runtimes): they
// are deleted before anything loads (node --test runs each file in its own process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

delete globalThis.TextEncoder;
delete globalThis.TextDecoder;

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '../..');

test('the web module loads and verifies without TextEncoder/TextDecoder', async () => {
  assert.equal(typeof globalThis.TextDecoder, 'undefined');
  const { load, Utf8Encoder, Utf8Decoder } = await import('../pkg/web/loader.mjs');
  const vc = await load(readFileSync(path.join(here, '../pkg/web/venuecode_wasm_bg.wasm')));
  const v = JSON.parse(readFileSync(path.join(root, 'core/tests/vectors/venue.json'), 'utf8'));
  const trust = JSON.stringify(v.trust_list);
  for (const c of v.cases) {
    if (c.expect === 'valid') {
      assert.deepEqual(vc.verifyVenueCode(c.text, trust, Date.parse(c.at)), c.decoded, c.name);
    } else {
      assert.throws(() => vc.verifyVenueCode(c.text, trust, Date.parse(c.at)), (e) => e.code === c.expect, c.name);
    }
  }
  // Chinese both ways through the codec.
  assert.equal(vc.maskName('买买提·艾力'), '买**·艾*');
  // The codec agrees with Node's own UTF-8 on text with every width of character.
  const text = 'A·中文𠮷\u0000é—（）';
  const bytes = new Utf8Encoder().encode(text);
  assert.deepEqual(Buffer.from(bytes), Buffer.from(text, 'utf8'));
  assert.equal(new Utf8Decoder().decode(bytes), text);
  assert.equal(new Utf8Decoder().decode(Uint8Array.from([0xff, 0x41])), '\ufffdA');
});
