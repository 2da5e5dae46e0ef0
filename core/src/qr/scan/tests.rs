// Renders codes to scan, so these need the `render` feature too.
#![cfg(feature = "render")]

use super::*;
use crate::Error;
use crate::qr::render::{EcLevel, QrMatrix};

const TEXT: &str =
    "HTTPS://VC.EXAMPLE.CN/1/06B7.M2FFSYB+LPE-P9XUFAE0LZ06ESLY1NJA.RC9N6$67D*8L-JKJOBSP8OJSSQ4";

fn rendered(text: &str, module_px: u32) -> GreyImage {
    let (side, pixels) = QrMatrix::encode(text, EcLevel::M)
        .unwrap()
        .to_grey(module_px);
    GreyImage::new(side as usize, side as usize, pixels).unwrap()
}

/// Places `code` on a grey canvas at (x, y).
fn on_canvas(
    code: &GreyImage,
    w: usize,
    h: usize,
    at: &[(usize, usize)],
    background: u8,
) -> GreyImage {
    let mut pixels = vec![background; w * h];
    for &(ox, oy) in at {
        for y in 0..code.height() {
            for x in 0..code.width() {
                pixels[(oy + y) * w + ox + x] = code.at(x, y);
            }
        }
    }
    GreyImage::new(w, h, pixels).unwrap()
}

#[test]
fn reads_what_we_render() {
    let found = scan(&rendered(TEXT, 4));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].text, TEXT);
    // Corners lie on the code, inside the quiet zone's edge (4 modules of 4 px).
    let c = found[0].corners;
    assert!(
        (c[0].x - 16.0).abs() < 3.0 && (c[0].y - 16.0).abs() < 3.0,
        "{c:?}"
    );
    // Then top-right, bottom-right, bottom-left.
    let far = found[0].corners[2].x;
    assert!(far > 100.0 && (c[2].y - far).abs() < 3.0, "{c:?}");
    assert!(
        (c[1].x - far).abs() < 3.0 && (c[1].y - 16.0).abs() < 3.0,
        "{c:?}"
    );
    assert!(
        (c[3].x - 16.0).abs() < 3.0 && (c[3].y - far).abs() < 3.0,
        "{c:?}"
    );
}

#[test]
fn reads_inverted_codes() {
    let code = rendered(TEXT, 4);
    let inverted = GreyImage::new(
        code.width(),
        code.height(),
        code.pixels().iter().map(|p| 255 - p).collect(),
    )
    .unwrap();
    assert!(
        scan_with(&inverted, &[pass(usize::MAX, Binarize::RowAverage, false)]).is_empty(),
        "plain rqrr is expected to miss inverted codes"
    );
    assert_eq!(scan(&inverted)[0].text, TEXT);
}

#[test]
fn reads_rgba_and_grey_frames_with_stride() {
    let code = rendered(TEXT, 3);
    let (w, h) = (code.width(), code.height());
    let stride = w * 4 + 12;
    let mut rgba = vec![7u8; stride * h];
    let mut grey = vec![7u8; (w + 5) * h];
    for y in 0..h {
        for x in 0..w {
            let p = code.at(x, y);
            rgba[y * stride + x * 4..y * stride + x * 4 + 4].copy_from_slice(&[p, p, p, 255]);
            grey[y * (w + 5) + x] = p;
        }
    }
    let from_rgba = GreyImage::from_rgba_frame(&rgba, w, h, stride).unwrap();
    assert_eq!(from_rgba, code);
    assert_eq!(
        GreyImage::from_grey_frame(&grey, w, h, w + 5).unwrap(),
        code
    );
    // Transparent pixels count as white.
    let clear = GreyImage::from_rgba_frame(&[0, 0, 0, 0], 1, 1, 4).unwrap();
    assert_eq!(clear.pixels(), &[255]);
    // Packed frames, as the bindings pass them: RGBA or grey by the length.
    let packed_rgba: Vec<u8> = code.pixels().iter().flat_map(|&p| [p, p, p, 255]).collect();
    assert_eq!(
        GreyImage::from_packed_frame(&packed_rgba, w, h).unwrap(),
        code
    );
    assert_eq!(
        GreyImage::from_packed_frame(code.pixels(), w, h).unwrap(),
        code
    );
    let short = GreyImage::from_packed_frame(&[0; 10], w, h);
    assert_eq!(short.unwrap_err().code(), "invalid_image");
}

#[test]
fn finds_two_codes_in_one_frame() {
    let a = rendered(TEXT, 3);
    let b_text = "HTTPS://VC.EXAMPLE.CN/1/SECOND";
    let b = rendered(b_text, 3);
    let mut frame = on_canvas(&a, 1280, 720, &[(50, 100)], 200);
    let mut pixels = frame.pixels().to_vec();
    for y in 0..b.height() {
        for x in 0..b.width() {
            pixels[(150 + y) * 1280 + 800 + x] = b.at(x, y);
        }
    }
    frame = GreyImage::new(1280, 720, pixels).unwrap();
    let mut texts: Vec<_> = scan(&frame).into_iter().map(|f| f.text).collect();
    texts.sort();
    assert_eq!(texts, vec![TEXT.to_owned(), b_text.to_owned()]);
}

#[test]
fn large_frames_are_scaled_down_and_corners_scaled_back() {
    let code = rendered(TEXT, 12);
    let frame = on_canvas(&code, 3200, 2000, &[(1000, 500)], 230);
    let found = scan(&frame);
    assert_eq!(found.len(), 1);
    let c = found[0].corners[0];
    // Top-left of the code proper: canvas offset + 4 quiet modules of 12 px.
    assert!(
        (c.x - 1048.0).abs() < 16.0 && (c.y - 548.0).abs() < 16.0,
        "{c:?}"
    );
}

#[test]
fn nothing_in_a_blank_or_noisy_frame() {
    assert!(scan(&GreyImage::new(640, 480, vec![255; 640 * 480]).unwrap()).is_empty());
    let noise: Vec<u8> = (0..640u32 * 480)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    assert!(scan(&GreyImage::new(640, 480, noise).unwrap()).is_empty());
    assert!(scan(&GreyImage::new(5, 5, vec![0; 25]).unwrap()).is_empty());
}

#[cfg(feature = "images")]
#[test]
fn decodes_png_and_refuses_bad_images_without_allocating() {
    let png = QrMatrix::encode(TEXT, EcLevel::M)
        .unwrap()
        .to_png(4)
        .unwrap();
    let image = GreyImage::decode(&png).unwrap();
    assert_eq!(scan(&image)[0].text, TEXT);

    let err = |r: Result<GreyImage, Error>| r.unwrap_err().code();
    assert_eq!(
        err(GreyImage::decode(&png[..png.len() / 2])),
        "invalid_image"
    );
    assert_eq!(err(GreyImage::decode(b"GIF89a")), "invalid_image");
    assert_eq!(
        err(GreyImage::decode(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0])),
        "invalid_image"
    );
    // A PNG header claiming 100000 x 100000 pixels: refused from the header.
    let mut huge = png[..33].to_vec();
    huge[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    huge[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    assert_eq!(err(GreyImage::decode(&huge)), "invalid_image");
    // Frames: too small a buffer, a stride shorter than a row, absurd sizes.
    assert_eq!(
        err(GreyImage::from_grey_frame(&[0; 10], 4, 4, 4)),
        "invalid_image"
    );
    assert_eq!(
        err(GreyImage::from_grey_frame(&[0; 16], 4, 4, 3)),
        "invalid_image"
    );
    assert_eq!(
        err(GreyImage::from_rgba_frame(
            &[0; 16],
            usize::MAX,
            2,
            usize::MAX
        )),
        "invalid_image"
    );
    assert_eq!(
        err(GreyImage::from_grey_frame(&[], 0, 0, 0)),
        "invalid_image"
    );
    assert_eq!(
        err(GreyImage::from_grey_frame(&[0; 64], 10_000, 10_000, 10_000)),
        "invalid_image"
    );
}

#[test]
fn otsu_splits_two_levels() {
    let mut pixels = vec![40u8; 500];
    pixels.extend(vec![210u8; 500]);
    let t = otsu(&pixels);
    assert!(t > 40 && t <= 210, "{t}");
}

/// A code of `bits` (already pushed), 4 pixels a module, with a 4-module quiet zone.
fn from_bits(bits: qrcode::bits::Bits) -> GreyImage {
    let code = qrcode::QrCode::with_bits(bits, qrcode::EcLevel::M).unwrap();
    let n = code.width();
    let colors = code.to_colors();
    let side = (n + 8) * 4;
    let mut pixels = vec![255u8; side * side];
    for y in 0..side {
        for x in 0..side {
            let (mx, my) = ((x / 4).wrapping_sub(4), (y / 4).wrapping_sub(4));
            if mx < n && my < n && colors[my * n + mx] == qrcode::Color::Dark {
                pixels[y * side + x] = 0;
            }
        }
    }
    GreyImage::new(side, side, pixels).unwrap()
}

#[test]
fn byte_payloads_that_are_not_utf8_read_as_iso_8859_1() {
    let mut bits = qrcode::bits::Bits::new(qrcode::Version::Normal(2));
    bits.push_byte_data(b"caf\xe9 cr\xe8me \xa9 2022").unwrap();
    bits.push_terminator(qrcode::EcLevel::M).unwrap();
    let found = scan(&from_bits(bits));
    assert_eq!(
        found.iter().map(|f| f.text.as_str()).collect::<Vec<_>>(),
        ["café crème © 2022"]
    );
}

#[cfg(feature = "charsets")]
#[test]
fn kanji_and_shift_jis_payloads_read_as_text() {
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("場所码テスト");
    // 码 has no Shift JIS form: it is replaced, so the test text is what survives.
    let text = encoding_rs::SHIFT_JIS.decode(&sjis).0.into_owned();
    let mut kanji = qrcode::bits::Bits::new(qrcode::Version::Normal(2));
    kanji
        .push_kanji_data(&encoding_rs::SHIFT_JIS.encode("場所テスト").0)
        .unwrap();
    kanji.push_terminator(qrcode::EcLevel::M).unwrap();
    let mut bytes = qrcode::bits::Bits::new(qrcode::Version::Normal(2));
    bytes.push_byte_data(&sjis).unwrap();
    bytes.push_terminator(qrcode::EcLevel::M).unwrap();
    assert_eq!(scan(&from_bits(kanji))[0].text, "場所テスト");
    assert_eq!(scan(&from_bits(bytes))[0].text, text);
}

#[test]
fn one_text_in_two_places_is_two_codes() {
    let code = rendered(TEXT, 3);
    let side = code.width();
    let sheet = on_canvas(
        &code,
        side * 2 + 40,
        side + 20,
        &[(10, 10), (side + 30, 10)],
        255,
    );
    let found = scan(&sheet);
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|f| f.text == TEXT));
    assert!((found[0].corners[0].x - found[1].corners[0].x).abs() > side as f32 / 2.0);
}

/// The image mirrored across its diagonal: a code printed from behind, or read through glass.
fn transposed(img: &GreyImage) -> GreyImage {
    let (w, h) = (img.width(), img.height());
    let pixels = (0..w)
        .flat_map(|x| (0..h).map(move |y| (x, y)))
        .map(|(x, y)| img.at(x, y))
        .collect();
    GreyImage::new(h, w, pixels).unwrap()
}

#[test]
fn mirrored_codes_read() {
    let found = scan(&transposed(&rendered(TEXT, 4)));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].text, TEXT);
}

#[test]
fn binary_payloads_keep_their_bytes() {
    let payload = [0x00, 0xff, 0x10, 0x80, 0xfe, 0x7f, 0x0a, 0x00];
    let mut bits = qrcode::bits::Bits::new(qrcode::Version::Normal(2));
    bits.push_byte_data(&payload).unwrap();
    bits.push_terminator(qrcode::EcLevel::M).unwrap();
    let found = scan(&from_bits(bits));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].bytes, payload);
    assert_eq!(found[0].sequence, None);
}

#[test]
fn structured_append_gives_the_codes_place() {
    // The header is mode 0011, then 4 bits of index, 4 of count - 1 and 8 of parity; the
    // encoder has no call for it, so it is spelt with mode indicators of the right bits:
    // index 0001, count - 1 0010, parity 0011 0100.
    use qrcode::bits::ExtendedMode::{Data, StructuredAppend};
    use qrcode::types::Mode::{Alphanumeric, Byte, Numeric};
    let mut bits = qrcode::bits::Bits::new(qrcode::Version::Normal(2));
    for nibble in [
        StructuredAppend,
        Data(Numeric),
        Data(Alphanumeric),
        StructuredAppend,
        Data(Byte),
    ] {
        bits.push_mode_indicator(nibble).unwrap();
    }
    bits.push_byte_data(b"part two of three").unwrap();
    bits.push_terminator(qrcode::EcLevel::M).unwrap();
    let found = scan(&from_bits(bits));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].text, "part two of three");
    assert_eq!(
        found[0].sequence,
        Some(Sequence {
            index: 1,
            count: 3,
            parity: 0x34
        })
    );
}

#[cfg(feature = "charsets")]
#[test]
fn an_eci_names_the_character_set() {
    // ECI 29: GB2312 (read as GBK), what a Chinese system may print.
    let (gbk, _, _) = encoding_rs::GBK.encode("场所码：东门");
    let mut bits = qrcode::bits::Bits::new(qrcode::Version::Normal(2));
    bits.push_eci_designator(29).unwrap();
    bits.push_byte_data(&gbk).unwrap();
    bits.push_terminator(qrcode::EcLevel::M).unwrap();
    let found = scan(&from_bits(bits));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].text, "场所码：东门");
    assert_eq!(found[0].bytes, gbk.as_ref());
}

#[test]
fn codes_of_a_sheet_are_each_found_once() {
    let code = rendered(TEXT, 3);
    let side = code.width();
    let spots: Vec<(usize, usize)> = (0..3)
        .flat_map(|r| (0..4).map(move |c| (10 + c * (side + 20), 10 + r * (side + 20))))
        .collect();
    let sheet = on_canvas(
        &code,
        4 * (side + 20) + 10,
        3 * (side + 20) + 10,
        &spots,
        255,
    );
    let found = scan(&sheet);
    assert_eq!(found.len(), 12);
    assert!(found.iter().all(|f| f.text == TEXT));
}
