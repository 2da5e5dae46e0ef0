use super::*;
use crate::qr::raster::GreyImage;
use crate::test_support as support;
use crate::{Prefix, SecretKey};

/// A CJK font for PNG posters; scripts/test-all installs Debian's fonts-wqy-microhei.
pub(crate) fn test_font() -> Vec<u8> {
    let path = std::env::var("VENUECODE_FONT")
        .unwrap_or_else(|_| "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc".into());
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{path}: {e}: install fonts-wqy-microhei or set VENUECODE_FONT (scripts/test-all does)"
        )
    })
}

fn code(venue: &Venue) -> String {
    venue
        .issue(
            &SecretKey::from_seed(&[1; 32]),
            &Prefix::new("HTTPS://VC.SH.GOV.CN/1/").unwrap(),
        )
        .unwrap()
}

#[test]
fn svg_poster_holds_the_fields_and_the_code() {
    let mut venue = support::reference_venue();
    venue.name = "玉佛<禅>寺 & 讲堂".into();
    let svg = poster_svg(&venue, &code(&venue), &PosterOptions::default()).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("width=\"210mm\" height=\"297mm\""));
    for needle in [
        "玉佛&lt;禅&gt;寺 &amp; 讲堂",
        "东门",
        DEFAULT_INSTRUCTION,
        "宗教活动场所",
        "SH-PT-0018",
        "310107",
        "安远路170号",
        "有效期至 2023-04-01 00:00",
    ] {
        assert!(svg.contains(needle), "{needle}");
    }
    assert!(!svg.contains("<禅>"));
    let path_data = QrMatrix::encode(&code(&venue), EcLevel::M)
        .unwrap()
        .svg_path(QUIET_ZONE);
    assert!(svg.contains(&path_data));
}

#[test]
fn long_names_shrink_to_fit() {
    let mut venue = support::reference_venue();
    venue.name = "寺".repeat(40);
    let l = layout(&venue, &code(&venue), &PosterOptions::default()).unwrap();
    let name = l.lines.iter().find(|l| l.field == "name").unwrap();
    assert!(estimated_width(&name.text, name.size) <= MAX_TEXT_WIDTH + 0.01);
}

#[test]
fn png_poster_scans_back_to_the_code() {
    let venue = support::reference_venue();
    let text = code(&venue);
    let options = PosterOptions {
        dpi: 150,
        ..PosterOptions::default()
    };
    let png = poster_png(&venue, &text, &test_font(), &options).unwrap();
    let image = GreyImage::decode(&png).unwrap();
    // A4 at 150 dpi.
    assert_eq!((image.width(), image.height()), (1240, 1754));
    let found = crate::qr::scan::scan(&image);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].text, text);
    // Text was drawn: the name's band (68 mm baseline, 14 mm type) holds dark pixels.
    let band = pixel(58.0 * 150.0 / 25.4)..pixel(68.0 * 150.0 / 25.4);
    let dark = band
        .flat_map(|y| image.pixels()[y * 1240..(y + 1) * 1240].to_vec())
        .filter(|&p| p < 128)
        .count();
    assert!(dark > 1000, "{dark}");
}

#[test]
fn png_poster_refuses_fonts_without_the_glyphs() {
    let mut venue = support::reference_venue();
    venue.name = "玉佛\u{13000}寺".into(); // an Egyptian hieroglyph: no CJK font draws it
    let err = poster_png(
        &venue,
        &code(&venue),
        &test_font(),
        &PosterOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput { field: "font", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("name"));
    let err = poster_png(
        &venue,
        &code(&venue),
        b"not a font",
        &PosterOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { field: "font", .. }));
}
