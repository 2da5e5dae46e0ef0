// The visitor's check-in page: every check is the venuecode module's (Gate.checkIn); this file
// wires inputs to it and shows the pass. Untrusted text is only ever set as textContent.
import init, { Gate, codeKind, scanFrame } from './pkg/venuecode_wasm.js';
import { cameraFrames, imagePixels } from './frames.mjs';

const $ = (id) => document.getElementById(id);
const state = { trust: null, gate: null };
// One id for this browser, as an app has one; the venue stores only its own pseudonym of it.
const device = localStorage.getItem('venuecode-device') ??
  (() => { const d = `web-${crypto.randomUUID()}`; localStorage.setItem('venuecode-device', d); return d; })();

const COLOURS = { green: '绿码 green', yellow: '黄码 yellow', red: '红码 red' };
const DECISIONS = { admit: '可以进入 Admit', deny: '不予进入 Denied', manual: '请工作人员核验 Staff will check' };

function setup() {
  const ready = state.trust && $('my-code').value.trim();
  $('setup-state').dataset.state = ready ? 'ready' : 'empty';
  $('setup-state').textContent = ready ? '已就绪，请扫场所码。 Ready: scan the venue code.' :
    '请先载入信任列表和本人健康码。 Load the trust list and your code first.';
}

async function loadTrust() {
  const f = $('trust-file').files[0];
  state.trust = f ? await f.text() : null;
  if (state.gate) state.gate.free();
  state.gate = null;
  setup();
}

function error(message, code) {
  const e = $('error');
  e.hidden = false;
  e.dataset.state = code ?? 'error';
  e.textContent = message;
}

let clock = null;
function showPass(pass) {
  const el = $('pass');
  el.dataset.state = pass.decision;
  el.dataset.colour = pass.colour ?? 'none';
  $('pass-venue').textContent = pass.venue_name;
  $('pass-door').textContent = pass.door;
  $('pass-colour').textContent = pass.colour ? COLOURS[pass.colour] : '状态未知 status unknown';
  $('pass-decision').textContent = DECISIONS[pass.decision] ?? pass.decision;
  const rows = [['时间 time', pass.local_time]];
  if (pass.holder) rows.push(['姓名 name', pass.holder.name], ['证件 ID', pass.holder.id_number]);
  if (pass.test) rows.push(['核酸 test', `${pass.test === 'negative' ? '阴性 negative' : '阳性 positive'}, ${pass.test_age_hours} h`]);
  rows.push(['说明 reason', pass.reasons.map((r) => `${r.zh} ${r.en}`).join('; ')]);
  if (pass.report) rows.push(['报告 report', '请立即告知工作人员 tell staff at once']);
  const dl = $('pass-details');
  dl.replaceChildren();
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    dd.dataset.field = k;
    dl.append(dt, dd);
  }
  // A live clock: a screenshot stops it.
  const tick = () => { $('pass-clock').textContent = new Date().toLocaleTimeString('zh-CN', { hour12: false, timeZone: 'Asia/Shanghai' }); };
  tick();
  clearInterval(clock);
  clock = setInterval(tick, 250);
  el.hidden = false;
}

function checkIn(venueText) {
  $('error').hidden = true;
  if (!state.trust || !$('my-code').value.trim()) {
    error('请先载入信任列表和本人健康码。 Load the trust list and your code first.', 'not-ready');
    return;
  }
  try {
    if (codeKind(venueText) !== 'venue') {
      error('这不是场所码。 This is not a venue code: scan the poster at the entrance.', 'not-a-venue');
      return;
    }
    const now = Date.now();
    if (!state.gate) state.gate = new Gate(state.trust, now, {});
    const { pass, request } = state.gate.checkIn(venueText, $('my-code').value.trim(), device, now);
    // The records service re-verifies and decides again; this page sends nothing by itself.
    window.lastCheckInRequest = request;
    showPass(pass);
  } catch (e) {
    error(`无效 Rejected: ${e.code ?? 'error'}`, e.code ?? 'error');
  }
}

function scan(data, width, height) {
  try {
    return scanFrame(data, width, height);
  } catch (e) {
    error(`无效 Rejected: ${e.code ?? 'error'}`, e.code ?? 'error');
    return null;
  }
}

async function onImage() {
  const file = $('image').files[0];
  if (!file) return;
  $('image').value = '';
  const frame = await imagePixels(file, $('canvas'));
  if (!frame) {
    error('无法读取图片。 Not an image this browser can read.', 'invalid_image');
    return;
  }
  const found = scan(frame.data, frame.width, frame.height);
  if (found === null) return;
  if (found.length === 0) error('图片中没有二维码。 No QR code in the image.', 'none');
  else checkIn(found[0].text);
}

async function onCamera() {
  // Scans while no pass is shown.
  await cameraFrames($('video'), $('canvas'), (frame) => {
    const found = scan(frame.data, frame.width, frame.height);
    if (found && found.length) checkIn(found[0].text);
  }, () => $('pass').hidden);
}

await init();
$('trust-file').addEventListener('change', loadTrust);
$('my-code').addEventListener('input', setup);
$('image').addEventListener('change', onImage);
$('camera').addEventListener('click', () => onCamera().catch((e) => error(String(e), 'camera')));
$('pass-close').addEventListener('click', () => { $('pass').hidden = true; clearInterval(clock); });
document.body.dataset.ready = 'true';
