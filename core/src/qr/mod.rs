//! Layer 9, QR: rendering codes as module matrices, SVG and PNG, A4 posters, and scanning camera
//! frames and image files. Reads codes only as text (and venues for posters).

#[cfg(feature = "poster")]
pub mod poster;
#[cfg(feature = "scan")]
pub mod raster;
#[cfg(feature = "render")]
mod render;
#[cfg(feature = "scan")]
pub mod scan;

#[cfg(feature = "render")]
pub use render::*;
