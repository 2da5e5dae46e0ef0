//! QR codes for code texts: the module matrix (from the `qrcode` crate, with the whole text in
//! alphanumeric mode at the smallest version that holds it) and its SVG and PNG forms.

use crate::error::Error;
use qrcode::bits::Bits;
use qrcode::{Color, QrCode, Version};

/// Error-correction level. M (15 % of codewords) is the default: a poster behind glass or in
/// the sun loses some contrast, and M keeps the reference venue at version 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EcLevel {
    /// About 7 % recoverable.
    L,
    /// About 15 % recoverable.
    #[default]
    M,
    /// About 25 % recoverable.
    Q,
    /// About 30 % recoverable.
    H,
}

impl EcLevel {
    fn inner(self) -> qrcode::EcLevel {
        match self {
            EcLevel::L => qrcode::EcLevel::L,
            EcLevel::M => qrcode::EcLevel::M,
            EcLevel::Q => qrcode::EcLevel::Q,
            EcLevel::H => qrcode::EcLevel::H,
        }
    }
}

impl std::str::FromStr for EcLevel {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "L" | "l" => Ok(EcLevel::L),
            "M" | "m" => Ok(EcLevel::M),
            "Q" | "q" => Ok(EcLevel::Q),
            "H" | "h" => Ok(EcLevel::H),
            _ => Err(Error::InvalidInput {
                field: "ec",
                reason: "expected L, M, Q or H".into(),
            }),
        }
    }
}

/// The width of the light border around a code, in modules, that ISO/IEC 18004 asks for.
pub const QUIET_ZONE: usize = 4;

/// Whether every character is in the QR alphanumeric set.
pub fn is_alphanumeric(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b" $%*+-./:".contains(&b))
}

/// The dark and light modules of a QR code, without quiet zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    width: usize,
    version: u8,
    dark: Vec<bool>,
}

impl QrMatrix {
    /// Encodes a text (every character in the QR alphanumeric set) in alphanumeric mode at the
    /// smallest version that holds it at `ec`.
    pub fn encode(text: &str, ec: EcLevel) -> Result<Self, Error> {
        let invalid = |reason: &str| Error::InvalidInput {
            field: "text",
            reason: reason.into(),
        };
        if !is_alphanumeric(text) {
            return Err(invalid("only QR alphanumeric characters can be encoded"));
        }
        for version in 1..=40i16 {
            let mut bits = Bits::new(Version::Normal(version));
            if bits.push_alphanumeric_data(text.as_bytes()).is_err()
                || bits.push_terminator(ec.inner()).is_err()
            {
                continue;
            }
            let code = QrCode::with_bits(bits, ec.inner())
                .map_err(|_| invalid("the QR encoder refused the text"))?;
            return Ok(QrMatrix {
                width: code.width(),
                version: u8::try_from(version).unwrap_or(40),
                dark: code
                    .to_colors()
                    .into_iter()
                    .map(|c| c == Color::Dark)
                    .collect(),
            });
        }
        Err(invalid(
            "too long for a QR code at this error-correction level",
        ))
    }

    /// Modules along one side, without quiet zone.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The QR version (1 to 40).
    pub fn version(&self) -> u8 {
        self.version
    }

    /// Whether the module at column `x`, row `y` is dark; outside the code, light.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark[y * self.width + x]
    }

    /// SVG path data for the dark modules, one unit a module, offset by `origin`.
    pub(crate) fn svg_path(&self, origin: usize) -> String {
        let mut d = String::new();
        for y in 0..self.width {
            let mut x = 0;
            while x < self.width {
                if !self.is_dark(x, y) {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < self.width && self.is_dark(x, y) {
                    x += 1;
                }
                d += &format!(
                    "M{} {}h{}v1h-{}z",
                    start + origin,
                    y + origin,
                    x - start,
                    x - start
                );
            }
        }
        d
    }

    /// A standalone SVG: the code with a 4-module quiet zone, `module_px` pixels a module.
    pub fn to_svg(&self, module_px: u32) -> String {
        let side = self.width + 2 * QUIET_ZONE;
        let px = side as u64 * u64::from(module_px.max(1));
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" width=\"{px}\" \
             height=\"{px}\" shape-rendering=\"crispEdges\"><rect width=\"{side}\" height=\"{side}\" \
             fill=\"#fff\"/><path fill=\"#000\" d=\"{}\"/></svg>\n",
            self.svg_path(QUIET_ZONE)
        )
    }

    /// The code as 8-bit grey pixels with a 4-module quiet zone: (side in pixels, pixels).
    pub fn to_grey(&self, module_px: u32) -> (u32, Vec<u8>) {
        let m = usize::try_from(module_px.max(1)).unwrap_or(1);
        let side = (self.width + 2 * QUIET_ZONE) * m;
        let mut pixels = vec![255u8; side * side];
        for y in 0..side {
            for x in 0..side {
                let (mx, my) = (
                    (x / m).wrapping_sub(QUIET_ZONE),
                    (y / m).wrapping_sub(QUIET_ZONE),
                );
                if self.is_dark(mx, my) {
                    pixels[y * side + x] = 0;
                }
            }
        }
        (u32::try_from(side).unwrap_or(u32::MAX), pixels)
    }

    /// A PNG of the code with a 4-module quiet zone, `module_px` pixels a module.
    #[cfg(feature = "images")]
    pub fn to_png(&self, module_px: u32) -> Result<Vec<u8>, Error> {
        let (side, pixels) = self.to_grey(module_px);
        encode_grey_png(side, side, &pixels)
    }

    /// The pixels a module to make the code about `target_px` wide (at least 1).
    pub fn module_px_for(&self, target_px: u32) -> u32 {
        let side = u32::try_from(self.width + 2 * QUIET_ZONE).unwrap_or(u32::MAX);
        (target_px / side).max(1)
    }
}

/// Encodes 8-bit grey pixels as a PNG.
#[cfg(feature = "images")]
pub(crate) fn encode_grey_png(width: u32, height: u32, pixels: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let failed = |e: png::EncodingError| Error::InvalidImage(format!("PNG encoding failed: {e}"));
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(pixels).map_err(failed)?;
    writer.finish().map_err(failed)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphanumeric_mode_at_the_smallest_version() {
        // 221 characters is the capacity of version 8 at M; 222 needs version 9.
        let text = |n| "A".repeat(n);
        assert_eq!(
            QrMatrix::encode(&text(221), EcLevel::M).unwrap().version(),
            8
        );
        assert_eq!(
            QrMatrix::encode(&text(222), EcLevel::M).unwrap().version(),
            9
        );
        assert_eq!(
            QrMatrix::encode(&text(221), EcLevel::L).unwrap().version(),
            7
        );
        let m = QrMatrix::encode(&text(221), EcLevel::M).unwrap();
        assert_eq!(m.width(), 49);
        assert!(QrMatrix::encode("lower", EcLevel::M).is_err());
        assert!(QrMatrix::encode(&text(5000), EcLevel::M).is_err());
    }

    #[test]
    fn svg_and_grey_agree_with_the_matrix() {
        let m = QrMatrix::encode("HTTPS://VC.EXAMPLE.CN/1/ABC", EcLevel::M).unwrap();
        let svg = m.to_svg(4);
        let side = m.width() + 8;
        assert!(svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")));
        assert!(svg.contains(&format!("width=\"{}\"", side * 4)));
        let (px, grey) = m.to_grey(3);
        assert_eq!(px as usize, side * 3);
        for y in 0..m.width() {
            for x in 0..m.width() {
                let p = grey[(y + 4) * 3 * px as usize + (x + 4) * 3];
                assert_eq!(p == 0, m.is_dark(x, y));
            }
        }
        // The quiet zone is light.
        assert!(grey[..px as usize * 12].iter().all(|&p| p == 255));
        // Finder pattern corner.
        assert!(m.is_dark(0, 0) && m.is_dark(6, 6) && !m.is_dark(1, 1));
        assert_eq!(m.module_px_for(u32::try_from(side * 5 + 2).unwrap()), 5);
        #[cfg(feature = "images")]
        assert!(m.to_png(2).unwrap().starts_with(b"\x89PNG"));
    }
}
