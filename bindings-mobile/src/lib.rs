//! Mobile bindings for venuecode: a thin uniffi layer over the core crate.
//!
//! Empty until the mobile issue lands; the workspace keeps its place.
