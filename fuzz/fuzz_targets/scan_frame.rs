//! Any bytes as a grey camera frame (first two bytes give the width) and as an encoded image:
//! no panic, and no allocation beyond the documented limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use venuecode::raster::GreyImage;
use venuecode::scan::scan;

fuzz_target!(|data: &[u8]| {
    if let Ok(image) = GreyImage::decode(data) {
        let _ = scan(&image);
    }
    if data.len() > 2 {
        let width = usize::from(data[0]) + usize::from(data[1]) * 256 % 1024 + 1;
        let pixels = &data[2..];
        let height = pixels.len() / width;
        if height > 0 {
            if let Ok(image) = GreyImage::from_grey_frame(pixels, width, height, width) {
                let _ = scan(&image);
            }
        }
    }
});
