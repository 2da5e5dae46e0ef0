// The visitor's landing page (SPEC.md §16.8): the door was verified by the service; this
// script checks in the people the device holds codes for (the wallet), each through
// POST /v1/check-ins, and shows each pass as the service decided it. Text from outside is only
// ever set as textContent. A pass is shown only for a check-in the service answered as stored.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  // The landing page, or a holder's home (the language switch alone).
  const main = $('landing') ?? $('holder-home');
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

  // The visitor's own code, fresh, from the health-code app this page runs in (its webview's
  // bridge, `window.venuecodeHealthCode`: SPEC.md §16.8), or from the service for a holder
  // logged in on this browser (data-holder); the wallet then holds only companions' codes.
  const BRIDGE = typeof window.venuecodeHealthCode === 'function' ? window.venuecodeHealthCode : null;
  const HOLDER = BRIDGE !== null || main.dataset.holder === 'true';
  let own = null;
  let ownTimer = null;
  const deselected = new Set();
  const serviceNow = () => Date.now() + OFFSET;

  // Fetches the holder's current code, and again 15 seconds before it expires.
  async function fetchOwn() {
    clearTimeout(ownTimer);
    try {
      let json = null;
      if (BRIDGE) {
        json = await BRIDGE();
      } else {
        const r = await fetch('/v1/holder/code', { credentials: 'same-origin' });
        json = r.ok ? await r.json().catch(() => null) : null;
      }
      if (typeof json?.code === 'string' && json.code.length <= 1024 && !Number.isNaN(Date.parse(json.valid_until))) {
        own = { code: json.code, name: typeof json.name === 'string' ? json.name : '', until: Date.parse(json.valid_until) };
        ownTimer = setTimeout(fetchOwn, Math.min(300000, Math.max(5000, own.until - serviceNow() - 15000)));
      } else {
        own = null;
        $('status').textContent = t('无法获取本人健康码', 'Your code could not be fetched');
      }
    } catch {
      own = null;
      ownTimer = setTimeout(fetchOwn, 5000);
    }
    renderWallet();
    return own;
  }

  // Everyone this device may check in: the holder's own code first (from the service, or the
  // wallet's first), then the companions'.
  function people() {
    const codes = wallet();
    if (!HOLDER) return codes;
    return own ? [own.code, ...codes] : [null, ...codes];
  }

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
    if (!$('wallet')) return;
    const codes = people();
    $('empty').hidden = codes.length > 0;
    const list = $('wallet');
    list.replaceChildren();
    codes.forEach((code, i) => {
      const li = document.createElement('li');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.id = `person-${i}`;
      box.checked = true;
      box.dataset.index = String(i);
      const label = document.createElement('label');
      label.htmlFor = box.id;
      label.textContent = i === 0 && own?.name ? `${who(0)} · ${own.name}` : who(i);
      box.disabled = code === null;
      // A choice survives the list drawn again (the holder's code refreshed).
      box.checked = code !== null && !deselected.has(i);
      box.addEventListener('change', () => (box.checked ? deselected.delete(i) : deselected.add(i)));
      li.append(box, label);
      list.append(li);
    });
    $('check-in').disabled = spent || !codes.some((c) => c !== null);
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

  // A companion with no code, by name and ID number: the service (for a holder logged in here)
  // masks and tokenises them at once and gives an offline code for the wallet; the fields are
  // cleared, and the raw values are never stored on the device.
  async function addPerson() {
    const name = $('person-name').value.trim();
    const id = $('person-id').value.trim();
    if (!name || !id) return;
    try {
      const r = await fetch('/v1/holder/companions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': main.dataset.csrf },
        body: JSON.stringify({ name, id_number: id }),
        credentials: 'same-origin',
      });
      const json = await r.json().catch(() => null);
      if (r.ok && typeof json?.code === 'string') {
        const codes = wallet();
        if (codes.length < MAX_CODES) codes.push(json.code);
        localStorage.setItem(WALLET, JSON.stringify(codes));
        $('person-name').value = '';
        $('person-id').value = '';
        $('add-person').open = false;
        $('status').textContent = t(`已添加同行人员 ${json.name}`, `Companion ${json.name} added`);
        renderWallet();
      } else {
        $('status').textContent = `${t('未能添加', 'Not added')}: ${json?.error?.code ?? r.status}`;
      }
    } catch {
      $('status').textContent = t('无法连接服务（网络中断？）', 'The service could not be reached (network down?)');
    }
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
  // the service cannot be reached or is busy. Resolves with the service's answer once recorded,
  // or null once refused for good.
  function checkIn(card, i, body) {
    return new Promise((resolve) => {
      const attempt = async (n) => {
        card.className = 'pass pending';
        card.dataset.state = 'pending';
        card.replaceChildren(el('p', 'who', who(i)), el('p', 'decision', t('正在登记…', 'Checking in…')));
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
            showPass(card, i, json);
            resolve(json);
            return;
          }
          const error = json?.error ?? {};
          why = `${t('错误代码', 'Error code')}: ${error.code ?? r.status}`;
          retryable = r.status === 408 || r.status === 429 || r.status >= 500;
        } catch {
          why = t('无法连接服务（网络中断？）', 'The service could not be reached (network down?)');
        }
        const again = () => attempt(n + 1);
        showFailure(card, i, why, retryable ? again : null);
        // Refused for good: companions then check in on their own.
        if (!retryable) resolve(null);
        if (retryable && n < 2) setTimeout(again, 3000 * (n + 1));
      };
      attempt(0);
    });
  }

  // Once a page: a second tap would be a second entry (and a dynamic code shown twice is a
  // replay). Checking in again is scanning the poster again. The visitor first: each companion
  // (同行人员) is then checked in from this phone naming the visitor's record (companion_of),
  // a record of their own.
  async function checkInAll() {
    if (spent) return;
    spent = true;
    $('check-in').disabled = true;
    const chosen = [...document.querySelectorAll('#wallet input:checked')].map((b) => Number(b.dataset.index));
    // The holder's code as fresh as the service gives it: it may have lived most of its minute.
    if (HOLDER && chosen.includes(0) && (!own || own.until - serviceNow() < 20000)) await fetchOwn();
    const codes = people();
    chosen.splice(0, chosen.length, ...chosen.filter((i) => codes[i]));
    const passes = $('passes');
    passes.replaceChildren();
    passes.hidden = chosen.length === 0;
    const at = new Date(Date.now() + OFFSET).toISOString().replace(/\.\d+Z$/, 'Z');
    const dev = device();
    const cards = new Map(chosen.map((i) => [i, el('article', 'pass pending')]));
    for (const [i, card] of cards) {
      card.dataset.state = 'pending';
      card.replaceChildren(el('p', 'who', who(i)), el('p', 'decision', t('等待本人登记…', 'Waiting for your own check-in…')));
      passes.append(card);
    }
    passes.scrollIntoView({ behavior: 'smooth' });
    const request = (i, extra) => JSON.stringify({ venue_code: VENUE_CODE, personal_code: codes[i], device: dev, at, ...extra });
    let companionOf = {};
    if (cards.has(0)) {
      const own = await checkIn(cards.get(0), 0, request(0, {}));
      if (own) companionOf = { companion_of: own.record_id };
    }
    for (const [i, card] of cards) {
      if (i !== 0) checkIn(card, i, request(i, companionOf));
    }
  }

  $('lang').addEventListener('click', () => {
    lang = lang === 'en' ? 'zh' : 'en';
    localStorage.setItem(LANG, lang);
    applyLang();
  });
  $('add-save')?.addEventListener('click', addCode);
  $('person-save')?.addEventListener('click', addPerson);
  // Companions by name: for a holder logged in here (the service makes their code).
  if ($('add-person') && !BRIDGE && main.dataset.holder === 'true') $('add-person').hidden = false;
  $('check-in')?.addEventListener('click', checkInAll);
  setInterval(() => {
    for (const c of document.querySelectorAll('.pass .clock')) c.textContent = clock();
  }, 1000);
  applyLang();
  if (HOLDER) fetchOwn();
})();
