// The visitor's page (扫码即亮码): the visitor scans the door's venue code with WeChat (or opens
// the mini-program from it: WeChat then gives the code's URL as `q`), and the page checks in
// everyone whose code this phone holds (the wallet: the visitor first, then companions, 同行人员)
// through the records service, one check-in each, and shows each pass as the service decided
// and recorded it. Nothing is decided or recorded here: a failed request says "未登记".
const config = require('../../config.js');

const WALLET = 'venuecode.wallet';
const COLOURS = { green: '✓ 绿码', yellow: '! 黄码', red: '✕ 红码' };
const DECISIONS = { admit: '可以进入', deny: '不予进入', manual: '请工作人员核验' };

/** The wallet: personal code texts, kept on this phone only (at most 10). */
function wallet() {
  const w = wx.getStorageSync(WALLET);
  const codes = Array.isArray(w) ? w : (typeof w === 'string' && w ? JSON.parse(w) : []);
  return codes.filter((c) => typeof c === 'string' && c.length > 0 && c.length <= 1024).slice(0, 10);
}

/** A scanned URL as the code's text: WeChat may give the scheme and host in lower case. */
function venueCode(scanned) {
  const m = /^https:\/\/([^/]+)(\/.*)$/i.exec(String(scanned || '').trim());
  return m ? `HTTPS://${m[1].toUpperCase()}${m[2]}` : '';
}

/** `2022-04-06T09:00:30+08:00` as people read it. */
function entryTime(local) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}:\d{2}:\d{2})/.exec(local || '');
  return m ? { time: m[4], date: `${m[1]}年${Number(m[2])}月${Number(m[3])}日` } : { time: '', date: '' };
}

function request(options) {
  return new Promise((resolve) => {
    wx.request(Object.assign({}, options, {
      success: (r) => resolve({ status: r.statusCode, data: r.data }),
      fail: (e) => resolve({ status: 0, data: null, errMsg: e && e.errMsg }),
    }));
  });
}

Page({
  data: { venueCode: '', passes: [], error: '', companions: 0 },

  onLoad(query) {
    if (query && query.q) return this.useCode(decodeURIComponent(query.q));
    return undefined;
  },

  /** The visitor scans the door's poster. */
  scanVenue() {
    return new Promise((resolve) => {
      wx.scanCode({
        onlyFromCamera: true,
        scanType: ['qrCode'],
        success: (r) => resolve(this.useCode(r.result)),
        fail: (e) => resolve(this.setData({ error: (e && e.errMsg) || '扫码失败' })),
      });
    });
  },

  /**
   * Adds a companion (同行人员) by scanning their printed offline code (离线码): its text goes
   * into this phone's wallet, nothing else; the service decides it at the next check-in.
   */
  scanCompanion() {
    return new Promise((resolve) => {
      wx.scanCode({
        onlyFromCamera: true,
        scanType: ['qrCode'],
        success: (r) => {
          const text = String(r.result || '').trim();
          const codes = wallet();
          if (!text || text.length > 1024) return resolve(this.setData({ error: '不是健康码' }));
          if (codes.includes(text)) return resolve(this.setData({ error: '已在本机' }));
          if (codes.length >= 10) return resolve(this.setData({ error: '本机最多保存 10 个码' }));
          codes.push(text);
          wx.setStorageSync(WALLET, JSON.stringify(codes));
          resolve(this.setData({ error: '', companions: codes.length - 1 }));
        },
        fail: (e) => resolve(this.setData({ error: (e && e.errMsg) || '扫码失败' })),
      });
    });
  },

  /** Checks in everyone in the wallet at the door the code names, one after another. */
  useCode(scanned) {
    const code = venueCode(scanned);
    if (!code) return this.setData({ error: '这不是场所码' });
    const codes = wallet();
    if (codes.length === 0) return this.setData({ error: '本机未保存健康码' });
    this.setData({ venueCode: code, error: '', passes: [] });
    const at = new Date(Date.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const device = this.device();
    // The holder first; each companion (同行人员) then names the holder's record
    // (companion_of), a record of their own.
    let companionOf = null;
    return codes.reduce((done, personal, i) => done.then(() => this.checkIn(i, code, personal, device, at, companionOf)
      .then((recordId) => {
        if (i === 0) companionOf = recordId;
      })), Promise.resolve());
  },

  device() {
    let d = wx.getStorageSync('venuecode.device');
    if (!d) {
      d = `mp-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
      wx.setStorageSync('venuecode.device', d);
    }
    return d;
  },

  /** One person's check-in; resolves with its record id, or null when it was not recorded. */
  checkIn(i, venue, personal, device, at, companionOf) {
    const who = i === 0 ? '本人' : `同行人员 ${i}`;
    const data = { venue_code: venue, personal_code: personal, device, at };
    if (companionOf) data.companion_of = companionOf;
    return request({
      url: `${config.serviceUrl}/v1/check-ins`,
      method: 'POST',
      header: { 'content-type': 'application/json' },
      data,
    }).then((r) => {
      const passes = this.data.passes.slice();
      if (r.status === 200 && r.data && r.data.pass && r.data.record_id) {
        const p = r.data.pass;
        const flagged = p.decision === 'deny' || p.report || p.colour === 'red' || p.colour === 'yellow';
        passes.push(Object.assign({
          who: p.holder ? `${who} · ${p.holder.name}` : who,
          recorded: true,
          venue: p.venue_name,
          door: p.door,
          colour: p.colour || 'none',
          colourText: COLOURS[p.colour] || '? 状态未知',
          decision: p.decision,
          decisionText: DECISIONS[p.decision] || p.decision,
          warn: flagged ? '禁止通行，请向工作人员报告' : '',
        }, entryTime(p.local_time)));
      } else {
        const why = r.data && r.data.error ? r.data.error.code : (r.errMsg || `HTTP ${r.status}`);
        passes.push({ who, recorded: false, why, notRecorded: '未登记：入场时间没有记录，请向工作人员出示' });
      }
      this.setData({ passes });
      return r.status === 200 && r.data ? r.data.record_id || null : null;
    });
  },
});
