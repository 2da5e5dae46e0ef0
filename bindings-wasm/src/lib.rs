//! WASM bindings for venuecode: a thin wasm-bindgen layer over the core crate.
//!
//! Empty until the WASM issue lands; the workspace keeps its place.
