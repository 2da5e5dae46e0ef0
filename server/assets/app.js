// The manager's and district's page: reads the same JSON routes as any client, with the
// session cookie; every change it asks for carries the CSRF token. Text goes in as text only.
'use strict';

const EN = {
  title: 'Venue code · scan records', logout: 'Log out', venue: 'Venue', venue_id: 'Venue id',
  open: 'Open', day: 'Day', live: 'live', scans: 'scans today', visitors: 'visitors',
  green: 'green', yellow: 'yellow', red: 'red', reports: 'reports', hourly: 'By hour and colour',
  alerts: 'Red, yellow and other reports (live)', doors: 'Scans by door',
  details: 'Scan details (desensitised)', download: 'Download', time: 'Time', door: 'Door',
  colour: 'Colour', decision: 'Decision', code: 'Code', division: 'ID division',
  admit: 'admitted', deny: 'refused', manual: 'to staff', none: 'none', offline: 'not live',
  coverage: 'Venue codes in use (coverage)', name: 'Name', missing: 'Doors without a code seen',
  covered: 'venues covered', without: 'venues without any code', doors_covered: 'doors covered',
  view: 'Counts', exact: 'this venue (exact)', k5: 'to publish (k=5)', k10: 'to publish (k=10)',
  k20: 'to publish (k=20)',
  withheld_note: '* withheld when published: below k, or a count that others would give away; '
    + 'hourly counts are not published.',
  chart_withheld: 'The view to publish has no hourly counts.',
};
const ZH = {};
const csrf = document.querySelector('meta[name=csrf]').content;
let lang = localStorage.getItem('venuecode-lang') || 'zh';
let venue = null;
let stream = null;

const $ = (id) => document.getElementById(id);
const t = (key) => (lang === 'en' ? EN[key] : ZH[key]) || key;

function applyLanguage() {
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
  for (const el of document.querySelectorAll('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n);
  }
  $('lang').textContent = lang === 'en' ? '中文' : 'English';
}

async function api(path) {
  const r = await fetch(path, { headers: { 'x-csrf-token': csrf }, credentials: 'same-origin' });
  const body = await r.json().catch(() => null);
  if (!r.ok) {
    throw new Error(body && body.error ? `${body.error.code}: ${body.error.message}` : r.status);
  }
  return body;
}

function showError(e) {
  $('error').hidden = !e;
  $('error').textContent = e ? String(e.message || e) : '';
}

const cst = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai', hour12: false, year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit',
});
const local = (at) => cst.format(new Date(at));
// A count withheld from the view to publish is `null`: shown as ＊, with the note saying why.
const num = (n) => (n === null || n === undefined ? '＊' : String(n));

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    td.textContent = c;
    tr.appendChild(td);
  }
  return tr;
}

function chart(hours) {
  const svg = $('chart');
  svg.replaceChildren();
  const ns = 'http://www.w3.org/2000/svg';
  const max = Math.max(1, ...hours.map((h) => h.green + h.yellow + h.red + h.none));
  for (const h of hours) {
    let y = 140;
    for (const c of ['green', 'yellow', 'red', 'none']) {
      const height = (h[c] / max) * 130;
      if (height > 0) {
        const rect = document.createElementNS(ns, 'rect');
        rect.setAttribute('x', String(h.hour * 20 + 2));
        rect.setAttribute('width', '16');
        rect.setAttribute('y', String(y - height));
        rect.setAttribute('height', String(height));
        rect.setAttribute('class', c);
        svg.appendChild(rect);
        y -= height;
      }
    }
    if (h.hour % 3 === 0) {
      const label = document.createElementNS(ns, 'text');
      label.setAttribute('x', String(h.hour * 20 + 4));
      label.setAttribute('y', '155');
      label.textContent = String(h.hour);
      svg.appendChild(label);
    }
  }
}

async function refresh() {
  if (!venue) return;
  // Without a day chosen, the service's today (its clock, China Standard Time).
  let q = $('day').value ? `day=${encodeURIComponent($('day').value)}` : '';
  const base = `/v1/venues/${encodeURIComponent(venue)}`;
  const k = $('k').value ? `&k=${encodeURIComponent($('k').value)}` : '';
  try {
    const { summary, hours } = await api(`${base}/stats?${q}${k}`);
    $('withheld-note').hidden = !k;
    // An SVG element has no `hidden` property: a class hides it.
    $('chart').classList.toggle('gone', !hours);
    $('chart-withheld').hidden = Boolean(hours);
    if (!q) {
      $('day').value = summary.day;
      q = `day=${summary.day}`;
    }
    $('scans').textContent = num(summary.scans);
    $('visitors').textContent = num(summary.distinct_visitors);
    $('green').textContent = num(summary.by_colour.green);
    $('yellow').textContent = num(summary.by_colour.yellow);
    $('red').textContent = num(summary.by_colour.red);
    $('reports-count').textContent = num(summary.reports);
    if (hours) chart(hours.hours);
    $('doors').tBodies[0].replaceChildren(...summary.by_door.map((d) => row([d.door, num(d.scans)])));
    const page = await api(`${base}/records?${q}&limit=50`);
    $('records').tBodies[0].replaceChildren(...page.records.reverse().map((r) => row([
      local(r.at), r.door, t(r.colour || 'none'), t(r.decision), r.code_state || '–',
      r.id_division || '–',
    ])));
    for (const a of document.querySelectorAll('.downloads a')) {
      a.href = `${base}/export?${q}&format=${a.dataset.format}`;
    }
    showError(null);
  } catch (e) {
    showError(e);
  }
}

// A district's coverage against the registry (申领情况).
async function coverage(area) {
  const c = await api(`/v1/districts/${encodeURIComponent(area)}/coverage`);
  $('coverage-section').hidden = false;
  $('coverage-summary').textContent = `${area}: ${c.venues_covered}/${c.venues} ${t('covered')}, `
    + `${c.venues_without} ${t('without')}, ${c.doors_covered}/${c.doors} ${t('doors_covered')}`;
  $('coverage').tBodies[0].replaceChildren(...c.uncovered.map((u) => row([u.venue_id, u.name, u.missing.join('、')])));
}

function alert(r) {
  const li = document.createElement('li');
  li.className = r.colour || 'none';
  li.textContent = `${local(r.at)}  ${r.venue_id} ${r.door}  ${t(r.colour || 'none')}  ${r.code_state || ''}  ${t(r.decision)}`;
  $('alerts').prepend(li);
}

function listen(path) {
  if (stream) stream.close();
  stream = new EventSource(path);
  stream.addEventListener('open', () => $('live').classList.remove('off'));
  stream.addEventListener('error', () => $('live').classList.add('off'));
  stream.addEventListener('report', (e) => {
    alert(JSON.parse(e.data));
    refresh();
  });
}

// Counts of check-ins that raise no report are fetched again every 15 s.
setInterval(() => refresh(), 15000);

function choose(id) {
  venue = id;
  listen(`/v1/venues/${encodeURIComponent(id)}/reports`);
  refresh();
}

async function start() {
  for (const el of document.querySelectorAll('[data-i18n]')) ZH[el.dataset.i18n] = el.textContent;
  Object.assign(ZH, {
    admit: '通过', deny: '拒绝', manual: '人工核验', none: '无', offline: '未连接',
    covered: '场所已全部启用', without: '场所尚无场所码', doors_covered: '门已启用',
  });
  $('logout-csrf').value = csrf;
  $('day').addEventListener('change', refresh);
  $('k').addEventListener('change', refresh);
  $('lang').addEventListener('click', () => {
    lang = lang === 'en' ? 'zh' : 'en';
    localStorage.setItem('venuecode-lang', lang);
    applyLanguage();
    refresh();
  });
  applyLanguage();
  try {
    const me = await api('/v1/me');
    $('who').textContent = `${me.name} (${me.role})`;
    const select = $('venue');
    if (me.role === 'manager') {
      for (const v of me.scope) select.appendChild(new Option(v, v));
      select.addEventListener('change', () => choose(select.value));
      choose(me.scope[0]);
    } else {
      select.parentElement.hidden = true;
      $('venue-open').hidden = false;
      $('open').addEventListener('click', () => choose($('venue-id').value.trim()));
      // A district (or the authority) sees its whole area's reports live.
      const area = me.role === 'district' ? me.scope[0] : null;
      if (area) {
        listen(`/v1/districts/${encodeURIComponent(area)}/reports`);
        await coverage(area);
      }
    }
  } catch (e) {
    showError(e);
  }
}

start();
