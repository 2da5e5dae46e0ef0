import type * as venuecode from './venuecode_wasm.js';

/** A UTF-8 `TextEncoder` for runtimes without one. */
export declare class Utf8Encoder {
  readonly encoding: 'utf-8';
  encode(text?: string): Uint8Array;
}
/** A UTF-8 `TextDecoder` for runtimes without one (malformed bytes become U+FFFD). */
export declare class Utf8Decoder {
  constructor(label?: string);
  readonly encoding: 'utf-8';
  decode(input?: ArrayBuffer | ArrayBufferView): string;
}
/** Installs the UTF-8 codec where the runtime has none. */
export declare function installTextCodec(): void;
/** The module, instantiated from the bytes of venuecode_wasm_bg.wasm. */
export declare function load(wasmBytes: ArrayBuffer | Uint8Array): Promise<typeof venuecode>;
