// The visitor's landing page (SPEC.md §16.8): the door was verified by the service; this
// script checks in the people the device holds codes for (the wallet), each through
// POST /v1/check-ins, and shows each pass as the service decided it. Text from outside is only
// ever set as textContent. A pass is shown only for a check-in the service answered as stored.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const main = $('landing');
  const VENUE_CODE = main.dataset.venueCode;
  // The service's clock less this device's: an entry time the service takes, whatever the
  // phone's clock says.
  const OFFSET = Number(main.dataset.now) * 1000 - Date.now();
  const WALLET = 'venuecode.wallet';
  const DEVICE = 'venuecode.device';
  const LANG = 'venuecode.lang';
  const MAX_CODES = 10;
  let lang = localStorage.getItem(LANG) === 'en' ? 'en' : 'zh';
  // Whether this page has checked in (see checkInAll).
  let spent = false;
  const t = (zh, en) => (lang === 'en' ? en : zh);

  const COLOUR = {
    green: ['✓', '绿码', 'Green code'],
    yellow: ['!', '黄码', 'Yellow code'],
    red: ['✕', '红码', 'Red code'],
  };
  const DECISION = {
    admit: ['可以进入', 'You may enter'],
    deny: ['不予进入', 'Entry refused'],
    manual: ['请工作人员核验', 'Staff will check'],
  };

  // The wallet: a JSON array of personal code texts, kept on this device only.
  function wallet() {
    try {
      const w = JSON.parse(localStorage.getItem(WALLET) ?? '[]');
      return Array.isArray(w) ? w.filter((c) => typeof c === 'string' && c.length > 0 && c.length <= 1024).slice(0, MAX_CODES) : [];
    } catch {
      return [];
    }
  }

  function device() {
    let d = localStorage.getItem(DEVICE);
    if (!d) {
      d = `web-${crypto.randomUUID()}`;
      localStorage.setItem(DEVICE, d);
    }
    return d;
  }

  const who = (i) => (i === 0 ? t('本人', 'Me') : t(`同行人员 ${i}`, `Companion ${i}`));

  function applyLang() {
    document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
    for (const el of document.querySelectorAll('[data-zh]')) el.textContent = el.dataset[lang];
    const button = $('lang');
    button.textContent = lang === 'en' ? '中文' : 'English';
    button.lang = lang === 'en' ? 'zh-CN' : 'en';
    button.setAttribute('aria-label', lang === 'en' ? '中文' : 'English');
    renderWallet();
  }

  function renderWallet() {
    const codes = wallet();
    $('empty').hidden = codes.length > 0;
    const list = $('wallet');
    list.replaceChildren();
    codes.forEach((_, i) => {
      const li = document.createElement('li');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.id = `person-${i}`;
      box.checked = true;
      box.dataset.index = String(i);
      const label = document.createElement('label');
      label.htmlFor = box.id;
      label.textContent = who(i);
      li.append(box, label);
      list.append(li);
    });
    $('check-in').disabled = spent || codes.length === 0;
  }

  function addCode() {
    const text = $('add-code').value.trim();
    if (!text) return;
    const codes = wallet();
    if (!codes.includes(text) && codes.length < MAX_CODES) codes.push(text);
    localStorage.setItem(WALLET, JSON.stringify(codes));
    $('add-code').value = '';
    $('add').open = false;
    renderWallet();
  }

  const two = (n) => String(n).padStart(2, '0');
  // `2022-04-06T09:00:30+08:00` as people read it.
  function entryTime(local) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}:\d{2}:\d{2})/.exec(local ?? '');
    if (!m) return [local ?? '', ''];
    const [, y, mo, d, time] = m;
    const date = lang === 'en' ? `${Number(d)} ${['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][Number(mo) - 1]} ${y}` : `${y}年${Number(mo)}月${Number(d)}日`;
    return [time, date];
  }

  // China Standard Time now, by the service's clock.
  function clock() {
    const now = new Date(Date.now() + OFFSET + 8 * 3600 * 1000);
    return `${two(now.getUTCHours())}:${two(now.getUTCMinutes())}:${two(now.getUTCSeconds())}`;
  }

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function showPass(card, i, answer) {
    const pass = answer.pass;
    card.className = 'pass';
    card.dataset.state = 'recorded';
    card.dataset.decision = pass.decision;
    card.dataset.colour = pass.colour ?? 'none';
    card.removeAttribute('role');
    const [symbol, zh, en] = COLOUR[pass.colour] ?? ['?', '状态未知', 'Status unknown'];
    const [time, date] = entryTime(pass.local_time);
    const colour = el('div', 'colour');
    colour.append(el('span', 'symbol', symbol), el('span', 'word', t(zh, en)));
    colour.setAttribute('aria-label', t(zh, en));
    const decision = DECISION[pass.decision] ?? [pass.decision, pass.decision];
    const entry = el('p', 'entry');
    entry.append(el('span', 'label', t('登记时间', 'Entered at')), el('span', 'time', time), el('span', 'date', date));
    card.replaceChildren(
      el('p', 'who', who(i) + (pass.holder ? ` · ${pass.holder.name}` : '')),
      el('p', 'venue', pass.venue_name),
      el('p', 'door', pass.door),
      colour,
      el('p', 'decision', t(...decision)),
      entry,
    );
    if (pass.reasons?.length) card.append(el('p', 'reasons', pass.reasons.map((r) => (lang === 'en' ? r.en : r.zh)).join('；')));
    const flagged = pass.decision === 'deny' || pass.report || pass.colour === 'red' || pass.colour === 'yellow';
    if (flagged) card.append(el('p', 'warn', t('禁止通行，请向工作人员报告', 'Do not enter: report to the staff at once')));
    else if (pass.decision === 'manual') card.append(el('p', 'note', t('请向工作人员出示此页，由工作人员核验', 'Show this page to the staff, who will check you')));
    const live = el('p', 'clock', clock());
    live.setAttribute('aria-hidden', 'true');
    card.append(live, el('div', 'mover'), el('p', 'recorded', t('✔ 已登记', '✔ Recorded')));
  }

  function showFailure(card, i, why, retry) {
    card.className = 'pass failed';
    card.dataset.state = 'not-recorded';
    card.setAttribute('role', 'alert');
    card.replaceChildren(
      el('p', 'who', who(i)),
      el('p', 'symbol-big', '✕'),
      el('p', 'decision', t('未登记：入场时间没有记录', 'NOT recorded: your entry was not registered')),
      el('p', null, t('请向工作人员出示此页，由工作人员另行登记。', 'Show this page to the staff, who will register you.')),
      el('p', 'why', why),
    );
    if (retry) {
      const button = el('button', 'retry', t('重试', 'Try again'));
      button.type = 'button';
      button.addEventListener('click', retry);
      card.append(button);
    }
  }

  // One person's check-in, retried (its request unchanged: a retry stores nothing twice) while
  // the service cannot be reached or is busy.
  async function checkIn(card, i, code, body, attempt = 0) {
    card.className = 'pass pending';
    card.dataset.state = 'pending';
    card.replaceChildren(el('p', 'who', who(i)), el('p', 'decision', t('正在登记…', 'Checking in…')));
    let answer = null;
    let why = '';
    let retryable = true;
    try {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 15000);
      const r = await fetch('/v1/check-ins', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: controller.signal,
        credentials: 'omit',
      });
      clearTimeout(timer);
      const json = await r.json().catch(() => null);
      if (r.ok && json?.pass && json.record_id) {
        answer = json;
      } else {
        const error = json?.error ?? {};
        why = `${t('错误代码', 'Error code')}: ${error.code ?? r.status}`;
        retryable = r.status === 408 || r.status === 429 || r.status >= 500;
      }
    } catch {
      why = t('无法连接服务（网络中断？）', 'The service could not be reached (network down?)');
    }
    if (answer) {
      showPass(card, i, answer);
      return;
    }
    const again = () => checkIn(card, i, code, body, attempt + 1);
    showFailure(card, i, why, retryable ? again : null);
    if (retryable && attempt < 2) setTimeout(again, 3000 * (attempt + 1));
  }

  // Once a page: a second tap would be a second entry (and a dynamic code shown twice is a
  // replay). Checking in again is scanning the poster again.
  function checkInAll() {
    if (spent) return;
    spent = true;
    $('check-in').disabled = true;
    const codes = wallet();
    const chosen = [...document.querySelectorAll('#wallet input:checked')].map((b) => Number(b.dataset.index));
    const passes = $('passes');
    passes.replaceChildren();
    passes.hidden = chosen.length === 0;
    const at = new Date(Date.now() + OFFSET).toISOString().replace(/\.\d+Z$/, 'Z');
    const dev = device();
    for (const i of chosen) {
      const code = codes[i];
      if (!code) continue;
      const card = el('article');
      passes.append(card);
      const body = JSON.stringify({ venue_code: VENUE_CODE, personal_code: code, device: dev, at });
      checkIn(card, i, code, body);
    }
    passes.scrollIntoView({ behavior: 'smooth' });
  }

  $('lang').addEventListener('click', () => {
    lang = lang === 'en' ? 'zh' : 'en';
    localStorage.setItem(LANG, lang);
    applyLang();
  });
  $('add-save').addEventListener('click', addCode);
  $('check-in').addEventListener('click', checkInAll);
  setInterval(() => {
    for (const c of document.querySelectorAll('.pass .clock')) c.textContent = clock();
  }, 1000);
  applyLang();
})();
