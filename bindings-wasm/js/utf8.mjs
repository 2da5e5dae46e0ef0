// A small UTF-8 TextEncoder/TextDecoder for runtimes that have none (mini-programs). One
// definition: js/loader.mjs imports it, and the mini-program build inlines it (js/assemble.mjs).

export class Utf8Encoder {
  get encoding() { return 'utf-8'; }
  encode(text = '') {
    const out = [];
    for (const ch of String(text)) {
      const c = ch.codePointAt(0);
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return Uint8Array.from(out);
  }
}

export class Utf8Decoder {
  constructor(label = 'utf-8') {
    if (!/^utf-?8$/i.test(label)) throw new RangeError(`only UTF-8 is supported, not ${label}`);
  }
  get encoding() { return 'utf-8'; }
  decode(input) {
    if (input === undefined) return '';
    const b = input instanceof Uint8Array ? input : new Uint8Array(input.buffer ?? input);
    let out = '';
    for (let i = 0; i < b.length; ) {
      const x = b[i];
      const [n, min, first] = x < 0x80 ? [0, 0, x] : x >= 0xf0 && x < 0xf8 ? [3, 0x10000, x & 7]
        : x >= 0xe0 ? [2, 0x800, x & 15] : x >= 0xc0 ? [1, 0x80, x & 31] : [-1, 0, 0];
      let c = first;
      let ok = n >= 0 && i + n < b.length + (n === 0 ? 1 : 0);
      for (let k = 1; ok && k <= n; k++) {
        const y = b[i + k];
        ok = (y & 0xc0) === 0x80;
        c = (c << 6) | (y & 63);
      }
      ok = ok && c >= min && c <= 0x10ffff && !(c >= 0xd800 && c <= 0xdfff);
      out += ok ? String.fromCodePoint(c) : '\ufffd';
      i += ok ? n + 1 : 1;
    }
    return out;
  }
}
