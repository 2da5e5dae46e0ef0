//! Grey images for the scanner: from PNG and JPEG files, or from camera frames (8-bit grey or
//! RGBA with a row stride). Sizes are checked from the headers, before anything is allocated.

use crate::error::Error;

/// The widest or tallest image read, in pixels.
pub const MAX_IMAGE_SIDE: usize = 16_384;
/// The most pixels an image may have (36 megapixels: a 6000 x 6000 photo).
pub const MAX_IMAGE_PIXELS: usize = 36_000_000;
/// The most bytes of an encoded image read (feature `images`).
pub const MAX_IMAGE_BYTES: usize = 64 << 20;

/// An 8-bit grey image, rows packed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GreyImage {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidImage(reason.into())
}

fn check_size(width: usize, height: usize) -> Result<(), Error> {
    if width == 0 || height == 0 {
        return Err(invalid("the image is empty"));
    }
    if width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE {
        return Err(invalid(format!(
            "a side is longer than {MAX_IMAGE_SIDE} pixels"
        )));
    }
    if width * height > MAX_IMAGE_PIXELS {
        return Err(invalid(format!("more than {MAX_IMAGE_PIXELS} pixels")));
    }
    Ok(())
}

/// Checks that a buffer holds `height` rows of `stride` bytes (the last row only `row_bytes`).
fn check_buffer(len: usize, row_bytes: usize, stride: usize, height: usize) -> Result<(), Error> {
    if stride < row_bytes {
        return Err(invalid("the stride is shorter than a row"));
    }
    let needed = stride
        .checked_mul(height - 1)
        .and_then(|n| n.checked_add(row_bytes))
        .ok_or_else(|| invalid("the frame size overflows"))?;
    if len < needed {
        return Err(invalid(format!(
            "the buffer has {len} bytes; the frame needs {needed}"
        )));
    }
    Ok(())
}

impl GreyImage {
    /// From packed grey pixels (`pixels.len() == width * height`).
    pub fn new(width: usize, height: usize, pixels: Vec<u8>) -> Result<Self, Error> {
        check_size(width, height)?;
        if pixels.len() != width * height {
            return Err(invalid("the pixel count does not match the size"));
        }
        Ok(GreyImage {
            width,
            height,
            pixels,
        })
    }

    /// From an 8-bit grey camera frame whose rows are `stride` bytes apart.
    pub fn from_grey_frame(
        buf: &[u8],
        width: usize,
        height: usize,
        stride: usize,
    ) -> Result<Self, Error> {
        check_size(width, height)?;
        check_buffer(buf.len(), width, stride, height)?;
        let mut pixels = Vec::with_capacity(width * height);
        for row in 0..height {
            pixels.extend_from_slice(&buf[row * stride..row * stride + width]);
        }
        Ok(GreyImage {
            width,
            height,
            pixels,
        })
    }

    /// From an RGBA camera frame (or canvas `ImageData`) whose rows are `stride` bytes apart.
    /// Transparent pixels count as white, as they show on a light page.
    pub fn from_rgba_frame(
        buf: &[u8],
        width: usize,
        height: usize,
        stride: usize,
    ) -> Result<Self, Error> {
        check_size(width, height)?;
        check_buffer(buf.len(), width * 4, stride, height)?;
        let mut pixels = Vec::with_capacity(width * height);
        for row in 0..height {
            let line = &buf[row * stride..row * stride + width * 4];
            pixels.extend(
                line.chunks_exact(4)
                    .map(|p| luma_over_white(p[0], p[1], p[2], p[3])),
            );
        }
        Ok(GreyImage {
            width,
            height,
            pixels,
        })
    }

    /// From a tightly packed frame, RGBA (4 bytes a pixel, as canvas `ImageData`) or 8-bit grey
    /// (as Android's Y plane), told apart by the buffer's length: what the bindings take.
    pub fn from_packed_frame(buf: &[u8], width: usize, height: usize) -> Result<Self, Error> {
        let rgba_len = width.checked_mul(height).and_then(|n| n.checked_mul(4));
        if Some(buf.len()) == rgba_len {
            Self::from_rgba_frame(buf, width, height, width * 4)
        } else {
            Self::from_grey_frame(buf, width, height, width)
        }
    }

    /// Decodes a PNG or JPEG file (told apart by their signatures).
    #[cfg(feature = "images")]
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_IMAGE_BYTES {
            return Err(invalid(format!(
                "the file is larger than {MAX_IMAGE_BYTES} bytes"
            )));
        }
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            decode_png(bytes)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            decode_jpeg(bytes)
        } else {
            Err(invalid("not a PNG or JPEG file"))
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The pixels, row by row.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// The pixel at (x, y); callers keep within bounds.
    pub(crate) fn at(&self, x: usize, y: usize) -> u8 {
        self.pixels[y * self.width + x]
    }

    /// An n-th of the size in each direction, each pixel the mean of an n x n block.
    pub(crate) fn shrink(&self, n: usize) -> GreyImage {
        // Fixed factors unroll and vectorise: the scanner's pyramid and passes use these.
        match n {
            2 => self.shrink_by::<2>(),
            3 => self.shrink_by::<3>(),
            _ => self.shrink_any(n.max(1)),
        }
    }

    fn shrink_by<const N: usize>(&self) -> GreyImage {
        let (w, h) = (self.width / N, self.height / N);
        let mut pixels = Vec::with_capacity(w * h);
        let mut cols = vec![0u16; self.width];
        for y in 0..h {
            cols.fill(0);
            for row in self.pixels[N * y * self.width..]
                .chunks_exact(self.width)
                .take(N)
            {
                for (c, &v) in cols.iter_mut().zip(row) {
                    *c += u16::from(v);
                }
            }
            pixels.extend(cols.chunks_exact(N).take(w).map(|block| {
                let block: &[u16; N] = block.try_into().unwrap_or(&[0; N]);
                let sum: u16 = block.iter().sum();
                u8::try_from(usize::from(sum) / (N * N)).unwrap_or(u8::MAX)
            }));
        }
        Self::sized(w, h, pixels)
    }

    fn shrink_any(&self, n: usize) -> GreyImage {
        let (w, h) = (self.width / n, self.height / n);
        let mut pixels = Vec::with_capacity(w * h);
        let mut cols = vec![0u32; self.width];
        let area = u32::try_from(n * n).unwrap_or(u32::MAX);
        for y in 0..h {
            cols.fill(0);
            for row in self.pixels[n * y * self.width..].chunks(self.width).take(n) {
                for (c, &v) in cols.iter_mut().zip(row) {
                    *c += u32::from(v);
                }
            }
            pixels.extend(
                cols.chunks_exact(n)
                    .take(w)
                    .map(|block| u8::try_from(block.iter().sum::<u32>() / area).unwrap_or(u8::MAX)),
            );
        }
        Self::sized(w, h, pixels)
    }

    /// A shrunk image, at least one pixel.
    fn sized(w: usize, h: usize, pixels: Vec<u8>) -> GreyImage {
        GreyImage {
            width: w.max(1),
            height: h.max(1),
            pixels: if pixels.is_empty() { vec![255] } else { pixels },
        }
    }
}

/// Rec. 601 luma of a pixel composited over white.
fn luma_over_white(r: u8, g: u8, b: u8, a: u8) -> u8 {
    let luma = (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000;
    let a = u32::from(a);
    u8::try_from((luma * a + 255 * (255 - a)) / 255).unwrap_or(u8::MAX)
}

#[cfg(feature = "images")]
fn decode_png(bytes: &[u8]) -> Result<GreyImage, Error> {
    let failed = |e: png::DecodingError| invalid(format!("PNG: {e}"));
    let mut decoder = png::Decoder::new_with_limits(
        std::io::Cursor::new(bytes),
        png::Limits {
            bytes: MAX_IMAGE_PIXELS * 8,
        },
    );
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(failed)?;
    let (width, height) = {
        let info = reader.info();
        (
            usize::try_from(info.width).unwrap_or(usize::MAX),
            usize::try_from(info.height).unwrap_or(usize::MAX),
        )
    };
    check_size(width, height)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| invalid("PNG: size overflows"))?;
    let mut buf = vec![0; size];
    let frame = reader.next_frame(&mut buf).map_err(failed)?;
    let (color, _) = reader.output_color_type();
    let channels = color.samples();
    let line = frame.line_size;
    let mut pixels = Vec::with_capacity(width * height);
    for row in buf.chunks(line).take(height) {
        for p in row.chunks_exact(channels).take(width) {
            pixels.push(match color {
                png::ColorType::Grayscale => p[0],
                png::ColorType::GrayscaleAlpha => luma_over_white(p[0], p[0], p[0], p[1]),
                png::ColorType::Rgb => luma_over_white(p[0], p[1], p[2], 255),
                _ => luma_over_white(p[0], p[1], p[2], p.get(3).copied().unwrap_or(255)),
            });
        }
    }
    GreyImage::new(width, height, pixels)
}

#[cfg(feature = "images")]
fn decode_jpeg(bytes: &[u8]) -> Result<GreyImage, Error> {
    use zune_core::colorspace::ColorSpace;
    use zune_core::options::DecoderOptions;
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::Luma)
        .set_max_width(MAX_IMAGE_SIDE)
        .set_max_height(MAX_IMAGE_SIDE);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(
        zune_core::bytestream::ZCursor::new(bytes),
        options,
    );
    decoder
        .decode_headers()
        .map_err(|e| invalid(format!("JPEG: {e:?}")))?;
    let (width, height) = decoder
        .dimensions()
        .ok_or_else(|| invalid("JPEG: no size"))?;
    check_size(width, height)?;
    let pixels = decoder
        .decode()
        .map_err(|e| invalid(format!("JPEG: {e:?}")))?;
    if pixels.len() < width * height {
        return Err(invalid("JPEG: fewer pixels than its size"));
    }
    GreyImage::new(width, height, pixels[..width * height].to_vec())
}
