// The WASM module in Node: the core's vectors give the same results and error codes as in Rust;
// a code made by the CLI verifies; its PNG, decoded to RGBA with pngjs, scans and verifies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
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
  // Without a revocation list a lost card is not caught: staff check the ID card.
  const o = full.decide(offline.text, trust, ms(offline.at), 'public', { statusList: bytes(v.status_list) });
  assert.deepEqual([o.decision, o.status.state, o.rule, o.revocations_checked], ['manual', 'fresh', 'no-revocation-list', false]);
  const reissued = byName['valid-reissued'];
  const lists = { statusList: bytes(v.status_list), revocations: bytes(v.revocations) };
  const ok = full.decide(reissued.text, trust, ms(reissued.at), 'public', lists);
  assert.deepEqual([ok.decision, ok.status.state, ok.revocations_checked], ['admit', 'fresh', true]);
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
  const lists = { statusList: bytes(pv.status_list), revocations: bytes(pv.revocations) };
  const gate = new full.Gate(trust, now, lists);
  assert.throws(() => gate.admit(byName['valid-dynamic'].text, now), throwsCode('invalid_input'));
  const door = gate.door(venue.text, now);
  assert.deepEqual([door.venue_id, door.door, door.class], ['SH-PT-0018', '东门', 'religious']);
  const a = gate.admit(byName['valid-dynamic'].text, now);
  assert.deepEqual([a.decision, a.code, a.door.door, a.holder.name, a.status.state, a.status.colour],
    ['admit', 'valid', '东门', byName['valid-dynamic'].decoded.name, 'fresh', 'green']);
  assert.equal(a.holder_token, undefined);
  const offline = gate.admit(byName['valid-reissued'].text, now);
  assert.deepEqual([offline.decision, offline.profile, offline.status.state], ['admit', 'offline', 'fresh']);
  // The one-shot call gives the same admission.
  const once = full.admit(venue.text, byName['valid-dynamic'].text, trust, now, lists);
  assert.deepEqual(once, a);
  // The door is bound once: a venue code shown later cannot move it.
  assert.throws(() => gate.door(venue.text, now), throwsCode('invalid_input'));
  // The same dynamic code 15 s later at this door is a screenshot: denied and reported.
  const again = gate.admit(byName['valid-dynamic'].text, now + 15_000);
  assert.deepEqual([again.decision, again.report, again.code], ['deny', true, 'replayed']);
  // The state carries that memory and the lists' serials into the next gate.
  const saved = gate.state();
  gate.free();
  const next = new full.Gate(trust, now, { ...lists, state: saved });
  next.door(venue.text, now);
  assert.equal(next.admit(byName['valid-dynamic'].text, now + 20_000).code, 'replayed');
  next.free();
});

test('a Gate on a signed trust list: the pinned root, and no older list after a newer one', () => {
  const cli = path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, 'target'), 'debug/venuecode');
  const dir = mkdtempSync(path.join(tmpdir(), 'venuecode-wasm-'));
  const p = (name) => path.join(dir, name);
  const run = (args) => execFileSync(cli, args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  run(['keygen', '--out', p('k.pem'), '--trust', p('t.json'), '--usage', 'venue', '--prefix', 'HTTPS://VC.SH.GOV.CN/1/']);
  const kid = run(['root', 'keygen', '--out', p('root.pem'), '--trust', p('t.json')]);
  const issued = '2022-04-01T00:00:00Z';
  for (const [serial, out] of [['7', 'new.signed'], ['6', 'old.signed']]) {
    run(['trust', 'sign', '--root', p('root.pem'), '--in', p('t.json'), '--out', p(out), '--serial', serial, '--issued', issued]);
  }
  const text = run(['venue', 'issue', '--prefix', 'HTTPS://VC.SH.GOV.CN/1/', '--key', p('k.pem'), '--id', 'SH-PT-0018',
    '--type', 'religious-venue', '--name', '上海玉佛禅寺', '--division', '310107', '--address', '安远路170号',
    '--door', '东门', '--issued', '2022-04-01T08:00:00+08:00']);
  const now = ms('2022-04-06T00:00:00Z');
  const signed = (name) => new Uint8Array(readFileSync(p(name)));
  const gate = new full.Gate(signed('new.signed'), now, { rootKids: [kid] });
  assert.equal(gate.door(text, now).host, 'VC.SH.GOV.CN');
  const state = gate.state();
  gate.free();
  assert.throws(() => new full.Gate(signed('new.signed'), now, { rootKids: ['0000000000000000'] }), throwsCode('unknown_key'));
  assert.throws(() => new full.Gate(signed('old.signed'), now, { rootKids: [kid], state }), throwsCode('rolled_back'));
  // Without the state the old list is accepted: the app must keep it.
  new full.Gate(signed('old.signed'), now, { rootKids: [kid] }).free();
});

test('a code made by the CLI verifies, and its PNG scans from RGBA and grey frames', () => {
  const cli = path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, 'target'), 'debug/venuecode');
  const dir = mkdtempSync(path.join(tmpdir(), 'venuecode-wasm-'));
  execFileSync(cli, ['keygen', '--out', path.join(dir, 'k.pem'), '--trust', path.join(dir, 't.json'), '--usage', 'venue', '--prefix', 'HTTPS://VC.SH.GOV.CN/1/'], { stdio: 'ignore' });
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
  // The request is core's shape: the command line reads it as a receiver does
  // (`CheckInRequest::from_json`, unknown fields refused) and stores the check-in.
  const dir = mkdtempSync(path.join(tmpdir(), 'venuecode-request-'));
  writeFileSync(path.join(dir, 'trust.json'), JSON.stringify(pv.trust_list));
  writeFileSync(path.join(dir, 'request.json'), JSON.stringify(request));
  const cli = path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, 'target'), 'debug/venuecode');
  const received = JSON.parse(execFileSync(cli, ['check-in', '--json', '--trust', path.join(dir, 'trust.json'),
    '--db', path.join(dir, 'l.sqlite'), '--request', path.join(dir, 'request.json'), '--at', request.at,
    '--trace-pub', path.join(root, 'cli/tests/data/trace.pub'), '--insecure-unsigned-trust'],
  { stdio: ['ignore', 'pipe', 'pipe'] }).toString());
  assert.deepEqual([received.stored, received.record.origin, received.pass.decision], [true, 'self_scan', 'admit']);
  assert.throws(() => gate.checkIn(dynamic.text, dynamic.text, 'phone-7', now), throwsCode('unsupported_version'));
  assert.throws(() => gate.checkIn(venue.text, dynamic.text, '', now), throwsCode('invalid_input'));
  gate.free();
});
