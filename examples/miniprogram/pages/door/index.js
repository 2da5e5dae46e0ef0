// The door page: staff set the door by scanning its venue code (once), then scan each
// visitor's personal code; the pass is decided here, offline, by the venuecode module, and
// only masked holder data is shown.
const vc = require('venuecode');
const config = require('../../config.js');

const COLOURS = { green: '绿码', yellow: '黄码', red: '红码' };
const DECISIONS = { admit: '通行', deny: '禁止通行', manual: '人工核验' };

/** The camera's reading of one QR code. */
function scan() {
  return new Promise((resolve, reject) => {
    wx.scanCode({
      onlyFromCamera: true,
      scanType: ['qrCode'],
      success: (r) => resolve(r.result),
      fail: reject,
    });
  });
}

/** What staff see of an error: its stable code and the module's message (never personal data). */
function shown(e) {
  return e && e.code ? `${e.code}: ${e.message}` : String((e && e.errMsg) || e);
}

Page({
  data: { ready: false, door: null, pass: null, error: '' },

  onLoad() {
    this.gate = null;
    return vc.init().then(() => {
      if (!config.trustList) throw new Error('no trust list: set config.js');
      this.gate = new vc.Gate(config.trustList, Date.now(), { builtin: config.builtin });
      this.setData({ ready: true });
    }).catch((e) => this.setData({ error: shown(e) }));
  },

  onUnload() {
    if (this.gate) this.gate.free();
  },

  /** Staff scan the door's own poster: a counterfeit one is refused here. */
  setDoor() {
    return scan().then((text) => {
      const d = this.gate.door(text, Date.now());
      this.setData({ door: { venue: d.venue_name, door: d.door, host: d.host }, error: '' });
    }).catch((e) => this.setData({ error: shown(e) }));
  },

  /** A visitor's personal code, at the door set above. */
  checkVisitor() {
    return scan().then((text) => {
      const a = this.gate.admit(text, Date.now());
      const status = a.status.state === 'unknown' ? null : a.status;
      this.setData({
        pass: {
          decision: a.decision,
          decisionText: DECISIONS[a.decision],
          report: a.report,
          colour: status ? status.colour : '',
          colourText: status ? COLOURS[status.colour] : '状态未知',
          name: a.holder ? a.holder.name : '',
          idNumber: a.holder ? a.holder.id_number : '',
          reason: a.reasons.length ? a.reasons[0].zh : '',
          code: a.code,
        },
        error: '',
      });
    }).catch((e) => this.setData({ error: shown(e) }));
  },
});
