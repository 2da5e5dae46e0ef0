// Loads the venuecode module where the runtime lacks TextEncoder/TextDecoder (some mini-program
// runtimes): installs a small UTF-8 codec first, since the generated glue creates both when it
// is imported, then instantiates the module from its bytes.
//
//   import { load } from 'venuecode/loader';
//   const vc = await load(wasmBytes);   // an ArrayBuffer or Uint8Array of venuecode_wasm_bg.wasm

import { Utf8Encoder, Utf8Decoder } from './utf8.mjs';

/** Installs the UTF-8 codec where the runtime has none. */
export function installTextCodec() {
  if (typeof globalThis.TextEncoder === 'undefined') globalThis.TextEncoder = Utf8Encoder;
  if (typeof globalThis.TextDecoder === 'undefined') globalThis.TextDecoder = Utf8Decoder;
}

/** The venuecode module, instantiated from the bytes of venuecode_wasm_bg.wasm. */
export async function load(wasmBytes) {
  installTextCodec();
  const vc = await import('./venuecode_wasm.js');
  vc.initSync({ module: wasmBytes });
  return vc;
}

export { Utf8Encoder, Utf8Decoder };
