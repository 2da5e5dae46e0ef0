// The door-check page: every check is the venuecode module's; this file only wires inputs to it
// and shows what it returns. Untrusted text is only ever set as textContent.
import init, { Gate, codeKind, scanFrame } from './pkg/venuecode_wasm.js';
import { cameraFrames, imagePixels } from './frames.mjs';

const $ = (id) => document.getElementById(id);
// `gate` is the module's Gate: trust list, lists and rule set verified once, and the door.
const state = { trust: null, statusList: null, revocations: null, gate: null, door: null };

const COLOURS = { green: '绿码 green', yellow: '黄码 yellow', red: '红码 red' };
const DECISIONS = { admit: '通行 Admit', deny: '拒绝 Deny', manual: '人工核验 Manual check' };

function show(el, attrs, title, rows = []) {
  for (const k of Object.keys(el.dataset)) delete el.dataset[k];
  Object.assign(el.dataset, attrs);
  el.replaceChildren();
  const head = document.createElement('div');
  head.className = 'big';
  head.textContent = title;
  el.append(head);
  if (rows.length) {
    const dl = document.createElement('dl');
    for (const [k, v] of rows) {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      dd.dataset.field = k;
      dl.append(dt, dd);
    }
    el.append(dl);
  }
}

const bytesOf = async (file) => new Uint8Array(await file.arrayBuffer());

async function loadSetup() {
  const t = $('trust-file').files[0];
  const s = $('status-file').files[0];
  const r = $('revocations-file').files[0];
  state.trust = t ? await t.text() : null;
  state.statusList = s ? await bytesOf(s) : null;
  state.revocations = r ? await bytesOf(r) : null;
  resetGate();
  const lists = [state.statusList && 'status list', state.revocations && 'revocation list'].filter(Boolean);
  show($('setup-state'), { state: state.trust ? 'ready' : 'empty' },
    state.trust ? `Trust list loaded${lists.length ? `, with ${lists.join(' and ')}` : ''}.` : 'No trust list loaded.');
}

// New lists or another rule set make a new gate; its door must be scanned again.
function resetGate() {
  if (state.gate) state.gate.free();
  state.gate = null;
  state.door = null;
  show($('door-state'), { state: 'unset' }, 'Door not set: scan its venue code.');
}

function gate(now) {
  if (!state.gate) state.gate = new Gate(state.trust, now, options());
  return state.gate;
}

// The gate's state (list serials, dynamic codes seen) outlives the page: an older list than
// the last one is refused, and a screenshot shown again is caught after a reload.
const STATE_KEY = 'venuecode-gate-state';

function savedState() {
  try {
    const hex = localStorage.getItem(STATE_KEY);
    return hex ? Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16)) : null;
  } catch {
    return null;
  }
}

function saveState() {
  try {
    const bytes = state.gate.state();
    localStorage.setItem(STATE_KEY, Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(''));
  } catch {
    // Private mode or a full store: the gate still decides, without memory across reloads.
  }
}

function options() {
  const o = { builtin: $('builtin').value };
  const saved = savedState();
  if (saved) o.state = saved;
  if (state.statusList) o.statusList = state.statusList;
  if (state.revocations) o.revocations = state.revocations;
  return o;
}

function rejected(e) {
  const code = e && e.code ? e.code : 'error';
  show($('result'), { state: 'rejected', code }, `无效 Rejected: ${code}`, [['reason', e.message ?? String(e)]]);
}

function onVenue(text, now) {
  if (state.door) {
    // Staff bind the door once; a visitor showing a venue code cannot move it (or its rules).
    show($('result'), { state: 'ignored', kind: 'venue' },
      '门已设定，忽略场所码 Door already set: venue code ignored', [['door', `${state.door.venue_name} · ${state.door.door}`]]);
    return;
  }
  const d = gate(now).door(text, now);
  saveState();
  state.door = d;
  show($('door-state'), { state: 'set', class: d.class }, `${d.venue_name} · ${d.door}`,
    [['venue', d.venue_id], ['type', d.venue_type], ['class', d.class], ['division', d.division]]);
  show($('result'), { state: 'valid', kind: 'venue' }, `场所码有效 Venue code valid: ${d.venue_name} ${d.door}`,
    [['key', d.key_id]]);
}

function onPersonal(text, now) {
  if (!state.door) {
    // Verified anyway, so that staff see whose code it is; the decision needs a door.
    const p = gate(now).verifyPersonalCode(text, now);
    show($('result'), { state: 'valid', kind: 'personal', decision: 'manual' },
      `${DECISIONS.manual}: scan the door's venue code first`, holderRows(p.holder, p.status, p.profile));
    return;
  }
  const a = gate(now).admit(text, now);
  saveState();
  const rows = [['code', a.code], ['rule', `${a.policy} / ${a.rule}`],
    ['reason', a.reasons.map((r) => `${r.zh} ${r.en}`).join('; ')]];
  if (a.holder) rows.unshift(...holderRows(a.holder, a.status, a.profile));
  if (a.report) rows.push(['report', '立即报告 report at once']);
  show($('result'), { state: a.code === 'valid' ? 'valid' : 'rejected', kind: 'personal', decision: a.decision, code: a.code },
    DECISIONS[a.decision] ?? a.decision, rows);
}

function holderRows(holder, status, profile) {
  const colour = status.colour ? COLOURS[status.colour] : 'unknown';
  return [['name', holder.name], ['id', holder.id_number], ['profile', profile], ['colour', colour],
    ['status', status.state]];
}

function check(text) {
  if (!state.trust) {
    show($('result'), { state: 'no-trust' }, 'Load a trust list first.');
    return;
  }
  const now = Date.now();
  try {
    if (codeKind(text) === 'venue') onVenue(text, now);
    else onPersonal(text, now);
  } catch (e) {
    rejected(e);
  }
}

function scanPixels(data, width, height) {
  try {
    return scanFrame(data, width, height);
  } catch (e) {
    rejected(e);
    return null;
  }
}

async function onImage() {
  const file = $('image').files[0];
  if (!file) return;
  // So that picking the same file again checks it again.
  $('image').value = '';
  const frame = await imagePixels(file, $('canvas'));
  if (!frame) {
    show($('result'), { state: 'rejected', code: 'invalid_image' }, 'Not an image this browser can read.');
    return;
  }
  const found = scanPixels(frame.data, frame.width, frame.height);
  if (found === null) return;
  if (found.length === 0) show($('result'), { state: 'none' }, 'No QR code found in the image.');
  else check(found[0].text);
}

async function onCamera() {
  let last = '';
  await cameraFrames($('video'), $('canvas'), (frame) => {
    const found = scanPixels(frame.data, frame.width, frame.height);
    // The same code held in front of the camera is checked once.
    if (found && found.length && found[0].text !== last) {
      last = found[0].text;
      check(last);
    }
  });
}

await init();
for (const id of ['trust-file', 'status-file', 'revocations-file']) $(id).addEventListener('change', loadSetup);
$('builtin').addEventListener('change', resetGate);
$('change-door').addEventListener('click', resetGate);
$('image').addEventListener('change', onImage);
$('camera').addEventListener('click', () => onCamera().catch(rejected));
document.body.dataset.ready = 'true';
