// The WASM module in Node: the core's vectors give the same results and error codes as in Rust;
// a code made by the CLI verifies; its PNG, decoded to RGBA with pngjs, scans and verifies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '../..');
const full = require('../pkg/node/venuecode_wasm.js');
const verifyOnly = require('../pkg/verify/venuecode_wasm.js');
const { PNG } = require('pngjs');
const vectors = (name) => JSON.parse(readFileSync(path.join(root, 'core/tests/vectors', name), 'utf8'));
const ms = (rfc3339) => Date.parse(rfc3339);
const bytes = (hex) => Uint8Array.from(Buffer.from(hex, 'hex'));
const throwsCode = (code) => (e) => e instanceof Error && e.code === code;

test('venue-code vectors: same results and error codes as in Rust, in both builds', () => {
  const v = vectors('venue.json');
  const trust = JSON.stringify(v.trust_list);
  for (const m of [full, verifyOnly]) {
    for (const c of v.cases) {
      if (c.expect === 'valid') {
        assert.deepEqual(m.verifyVenueCode(c.text, trust, ms(c.at)), c.decoded, c.name);
      } else {
        assert.throws(() => m.verifyVenueCode(c.text, trust, ms(c.at)), throwsCode(c.expect), c.name);
      }
    }
  }
});

test('codeKind tells venue codes from personal codes, in both builds', () => {
  for (const m of [full, verifyOnly]) {
    for (const [file, kind] of [['venue.json', 'venue'], ['personal.json', 'personal']]) {
      for (const c of vectors(file).cases.filter((c) => c.expect === 'valid')) {
        assert.equal(m.codeKind(c.text), kind, c.name);
      }
    }
    assert.throws(() => m.codeKind('HELLO'), throwsCode('malformed'));
  }
  const types = { 'religious-venue': 'religious', 'muslim-cemetery': 'religious', 'social-office': 'office', other: 'public' };
  for (const [type, cls] of Object.entries(types)) assert.equal(full.venueClass(type), cls, type);
  assert.throws(() => full.venueClass('stadium'), throwsCode('invalid_input'));
});

test('personal-code vectors: same results and error codes as in Rust', () => {
  const v = vectors('personal.json');
  const trust = JSON.stringify(v.trust_list);
  const revocations = bytes(v.revocations);
  let checked = 0;
  for (const c of v.cases) {
    const options = c.with_revocations ? { revocations } : undefined;
    if (c.expect === 'valid') {
      const got = full.verifyPersonalCode(c.text, trust, ms(c.at), options);
      const d = c.decoded;
      assert.deepEqual(
        [got.valid, got.code, got.profile, got.holder, got.generation, got.issued_at, got.valid_until, got.carried_status ?? null],
        [true, 'valid', d.profile, { name: d.name, id_number: d.id_number }, d.generation, d.issued_at, d.valid_until, d.status],
        c.name);
      assert.equal(got.holder.name.includes('*'), true);
      assert.equal(got.holder_token, undefined);
    } else {
      assert.throws(() => full.verifyPersonalCode(c.text, trust, ms(c.at), options), throwsCode(c.expect), c.name);
    }
    checked++;
  }
  assert.ok(checked >= 13);
});

test('decisions at the door, with a status list for offline codes', () => {
  const v = vectors('personal.json');
  const trust = JSON.stringify(v.trust_list);
  const byName = Object.fromEntries(v.cases.map((c) => [c.name, c]));
  const dynamic = byName['valid-dynamic'];
  const d = full.decide(dynamic.text, trust, ms(dynamic.at), 'religious', { builtin: 'sh-2022-04-01' });
  assert.deepEqual([d.decision, d.report, d.rule, d.code], ['admit', false, 'green', 'valid']);
  assert.ok(d.reasons[0].zh.length > 0 && d.reasons[0].en.length > 0);
  const red = byName['valid-dynamic-red'];
  const r = full.decide(red.text, trust, ms(red.at), 'public', {});
  assert.deepEqual([r.decision, r.report], ['deny', true]);
  const offline = byName['valid-offline'];
  const o = full.decide(offline.text, trust, ms(offline.at), 'public', { statusList: bytes(v.status_list) });
  assert.deepEqual([o.decision, o.status.state], ['admit', 'fresh']);
  const noList = full.decide(offline.text, trust, ms(offline.at), 'public', {});
  assert.deepEqual([noList.decision, noList.rule], ['manual', 'no-status']);
  const replay = byName['expired-replay'];
  assert.equal(full.decide(replay.text, trust, ms(replay.at), 'public', {}).code, 'expired');
  assert.throws(() => full.decide(dynamic.text, trust, ms(dynamic.at), 'stadium', {}), throwsCode('invalid_input'));
  assert.throws(() => full.decide(dynamic.text, trust, ms(dynamic.at), 'public', { builtin: 'nope' }), throwsCode('invalid_policy'));
});

test('a Gate: door from its venue code, then admissions there, as the core gives them', () => {
  const pv = vectors('personal.json');
  const venue = vectors('venue.json').cases.find((c) => c.name === 'valid-reference');
  const trust = JSON.stringify(pv.trust_list);
  const byName = Object.fromEntries(pv.cases.map((c) => [c.name, c]));
  const now = ms(byName['valid-dynamic'].at);
  const gate = new full.Gate(trust, now, { statusList: bytes(pv.status_list) });
  assert.throws(() => gate.admit(byName['valid-dynamic'].text, now), throwsCode('invalid_input'));
  const door = gate.door(venue.text, now);
  assert.deepEqual([door.venue_id, door.door, door.class], ['SH-PT-0018', '东门', 'religious']);
  const a = gate.admit(byName['valid-dynamic'].text, now);
  assert.deepEqual([a.decision, a.code, a.door.door, a.holder.name, a.status.state, a.status.colour],
    ['admit', 'valid', '东门', byName['valid-dynamic'].decoded.name, 'fresh', 'green']);
  assert.equal(a.holder_token, undefined);
  const offline = gate.admit(byName['valid-offline'].text, now);
  assert.deepEqual([offline.decision, offline.profile, offline.status.state], ['admit', 'offline', 'fresh']);
  // The one-shot call gives the same admission.
  const once = full.admit(venue.text, byName['valid-dynamic'].text, trust, now, { statusList: bytes(pv.status_list) });
  assert.deepEqual(once, a);
  assert.throws(() => gate.door(byName['valid-dynamic'].text, now), throwsCode('unsupported_version'));
  gate.free();
});

test('a code made by the CLI verifies, and its PNG scans from RGBA and grey frames', () => {
  const cli = path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, 'target'), 'debug/venuecode');
  const dir = mkdtempSync(path.join(tmpdir(), 'venuecode-wasm-'));
  execFileSync(cli, ['keygen', '--out', path.join(dir, 'k.pem'), '--trust', path.join(dir, 't.json'), '--usage', 'venue'], { stdio: 'ignore' });
  const text = execFileSync(cli, ['venue', 'issue', '--prefix', 'HTTPS://VC.SH.GOV.CN/1/', '--key', path.join(dir, 'k.pem'), '--id', 'SH-PT-0018',
    '--type', 'religious-venue', '--name', '上海玉佛禅寺', '--division', '310107', '--address', '安远路170号',
    '--door', '东门', '--issued', '2022-04-01T08:00:00+08:00', '--png', path.join(dir, 'c.png')]).toString().trim();
  const trust = readFileSync(path.join(dir, 't.json'), 'utf8');
  assert.equal(full.verifyVenueCode(text, trust, ms('2022-06-01T00:00:00Z')).door, '东门');

  const png = PNG.sync.read(readFileSync(path.join(dir, 'c.png')));
  const found = full.scanFrame(new Uint8Array(png.data), png.width, png.height);
  assert.equal(found.length, 1);
  assert.equal(found[0].text, text);
  assert.equal(found[0].corners.length, 4);
  assert.equal(full.verifyVenueCode(found[0].text, trust, ms('2022-06-01T00:00:00Z')).name, '上海玉佛禅寺');
  const grey = new Uint8Array(png.width * png.height);
  for (let i = 0; i < grey.length; i++) grey[i] = png.data[i * 4];
  assert.equal(full.scanFrame(grey, png.width, png.height)[0].text, text);
  assert.throws(() => full.scanFrame(new Uint8Array(10), 100, 100), throwsCode('invalid_image'));

  const svg = full.renderSvg(text);
  assert.ok(svg.startsWith('<svg') && svg.includes('<path'));
  assert.throws(() => full.renderSvg('lower case'), throwsCode('invalid_input'));
  assert.equal(typeof verifyOnly.scanFrame, 'undefined', 'the verify-only build has no scanner');
  assert.equal(typeof verifyOnly.renderSvg, 'undefined', 'nor a renderer');
  assert.equal(typeof verifyOnly.decide, 'undefined', 'nor rule sets');
});

test('masks, and errors that never echo personal data', () => {
  assert.equal(full.maskName('张三丰'), '张*丰');
  assert.equal(full.maskName('欧阳娜娜'), '欧阳*娜');
  assert.equal(full.maskIdNumber('11010519491231002X'), '110105********00**');
  assert.equal(full.maskPhone('13812345678'), '138****5678');
  try {
    full.maskIdNumber('110105194912310021');
    assert.fail('accepted a wrong check character');
  } catch (e) {
    assert.ok(e instanceof Error);
    assert.equal(e.code, 'invalid_input');
    assert.ok(!e.message.includes('19491231'), e.message);
  }
  assert.ok(full.errorCodes().includes('superseded'));
});

test('a visitor checks in: the pass for their screen and the request to send', () => {
  const pv = vectors('personal.json');
  const venue = vectors('venue.json').cases.find((c) => c.name === 'valid-reference');
  const dynamic = pv.cases.find((c) => c.name === 'valid-dynamic');
  const now = ms(dynamic.at);
  const gate = new full.Gate(JSON.stringify(pv.trust_list), now, {});
  const { pass, request } = gate.checkIn(venue.text, dynamic.text, 'phone-7', now);
  assert.deepEqual([pass.venue_name, pass.door, pass.decision, pass.colour, pass.holder.name],
    ['上海玉佛禅寺', '东门', 'admit', 'green', dynamic.decoded.name]);
  assert.match(pass.local_time, /\+08:00$/);
  assert.deepEqual([request.venue_code, request.personal_code, request.device, request.at],
    [venue.text, dynamic.text, 'phone-7', new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z')]);
  assert.throws(() => gate.checkIn(dynamic.text, dynamic.text, 'phone-7', now), throwsCode('unsupported_version'));
  assert.throws(() => gate.checkIn(venue.text, dynamic.text, '', now), throwsCode('invalid_input'));
  gate.free();
});
