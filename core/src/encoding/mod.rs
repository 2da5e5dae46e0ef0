//! Layer 1, encoding: base41 text, URL prefixes, the byte reader, packed CJK text and RFC 3339 times. Imports
//! nothing above [`crate::error`] and [`crate::kid`].

pub mod base41;
pub(crate) mod prefix;
pub mod text;
pub(crate) mod timestamp;
pub(crate) mod wire;
