//! Printable A4 posters for a venue code, as the notice asks venues to post at each entrance:
//! the code, the venue's name and type, the door, and an instruction line. One layout in
//! millimetres feeds two back ends: SVG (text set in the viewer's CJK font) and PNG at print
//! resolution (text drawn from a font the caller supplies, since the core reads no files).

use crate::codes::venue::Venue;
use crate::error::Error;
use crate::qr::render::{EcLevel, QUIET_ZONE, QrMatrix};
use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

/// A4 portrait, in millimetres.
pub const A4_MM: (f32, f32) = (210.0, 297.0);

/// The instruction line used unless the caller gives another.
pub const DEFAULT_INSTRUCTION: &str = "请使用随申办、微信或支付宝扫码";

/// What a poster shows besides the venue's own fields.
#[derive(Debug, Clone)]
pub struct PosterOptions {
    /// The QR code's error-correction level.
    pub ec: EcLevel,
    /// The line under the code telling visitors what to do.
    pub instruction: String,
    /// Pixels per inch of the PNG form (300 for print).
    pub dpi: u32,
}

impl Default for PosterOptions {
    fn default() -> Self {
        PosterOptions {
            ec: EcLevel::M,
            instruction: DEFAULT_INSTRUCTION.to_owned(),
            dpi: 300,
        }
    }
}

/// A line of centred text: its baseline and size in millimetres, and the field it shows (for
/// errors).
struct Line {
    text: String,
    baseline: f32,
    size: f32,
    field: &'static str,
}

/// Everything on the page, in millimetres.
struct Layout {
    lines: Vec<Line>,
    qr: QrMatrix,
    /// Left and top edge of the code's quiet zone, and its side.
    qr_at: (f32, f32),
    qr_side: f32,
}

const FONT_FAMILY: &str = "Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Micro Hei, PingFang SC, Microsoft YaHei, sans-serif";
const MAX_TEXT_WIDTH: f32 = 180.0;
const BORDER_INSET: f32 = 10.0;

/// A rough width for fitting SVG text, where glyph metrics are unknown: CJK characters are one
/// em wide, others about half.
fn estimated_width(text: &str, size: f32) -> f32 {
    text.chars()
        .map(|c| if c.is_ascii() { 0.55 } else { 1.0 })
        .sum::<f32>()
        * size
}

/// `2023-04-01 00:00`, in China Standard Time: a poster is read at the door.
fn cst_date(t: crate::encoding::timestamp::Timestamp) -> String {
    let cst = t.cst();
    // RFC 3339 in CST: YYYY-MM-DDTHH:MM:SS+08:00; far-off times keep their fallback form.
    match (cst.get(..10), cst.get(11..16)) {
        (Some(day), Some(time)) if cst.len() == 25 => format!("{day} {time}"),
        _ => cst,
    }
}

fn layout(venue: &Venue, text: &str, options: &PosterOptions) -> Result<Layout, Error> {
    let qr = QrMatrix::encode(text, options.ec)?;
    let kind = venue.venue_type.name_zh().unwrap_or("场所");
    let until = venue.valid_until.map_or_else(
        || "长期有效".to_owned(),
        |t| format!("有效期至 {}（北京时间）", cst_date(t)),
    );
    let mut lines = vec![
        Line {
            text: "场所码".into(),
            baseline: 36.0,
            size: 20.0,
            field: "title",
        },
        Line {
            text: format!("{kind} · 一门一码"),
            baseline: 48.0,
            size: 7.0,
            field: "type",
        },
        Line {
            text: venue.name.clone(),
            baseline: 68.0,
            size: 14.0,
            field: "name",
        },
        Line {
            text: venue.door.clone(),
            baseline: 84.0,
            size: 11.0,
            field: "door",
        },
        Line {
            text: options.instruction.clone(),
            baseline: 240.0,
            size: 8.5,
            field: "instruction",
        },
        Line {
            text: "逢进必扫 · 逢扫必验".into(),
            baseline: 252.0,
            size: 6.0,
            field: "reminder",
        },
        Line {
            text: format!(
                "场所编号 {}　行政区划 {}　{}",
                venue.id, venue.division, venue.address
            ),
            baseline: 270.0,
            size: 4.5,
            field: "address",
        },
        Line {
            text: until,
            baseline: 278.0,
            size: 4.5,
            field: "valid_until",
        },
    ];
    // Shrink a line that would run past the margins (a long name, say).
    for line in &mut lines {
        let width = estimated_width(&line.text, line.size);
        if width > MAX_TEXT_WIDTH {
            line.size *= MAX_TEXT_WIDTH / width;
        }
    }
    let qr_side = 130.0;
    Ok(Layout {
        lines,
        qr,
        qr_at: ((A4_MM.0 - qr_side) / 2.0, 92.0),
        qr_side,
    })
}

/// A pixel index from a float. `as` saturates, so negative values and NaN give 0 and huge ones
/// `usize::MAX`, which every caller then bounds: what drawing wants.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn pixel(v: f32) -> usize {
    v as usize
}

/// The poster as SVG (A4, units in millimetres). Text uses the viewer's CJK fonts.
pub fn poster_svg(venue: &Venue, text: &str, options: &PosterOptions) -> Result<String, Error> {
    let l = layout(venue, text, options)?;
    let (w, h) = A4_MM;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}mm\" height=\"{h}mm\" viewBox=\"0 0 {w} {h}\">\n\
         <rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>\n\
         <rect x=\"{b}\" y=\"{b}\" width=\"{bw}\" height=\"{bh}\" fill=\"none\" stroke=\"#000\" stroke-width=\"1.5\"/>\n",
        b = BORDER_INSET,
        bw = w - 2.0 * BORDER_INSET,
        bh = h - 2.0 * BORDER_INSET,
    );
    for line in &l.lines {
        svg += &format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"{:.2}\" text-anchor=\"middle\" font-family=\"{FONT_FAMILY}\">{}</text>\n",
            w / 2.0,
            line.baseline,
            line.size,
            crate::encoding::text::for_markup(&line.text)
        );
    }
    let modules = (l.qr.width() + 2 * QUIET_ZONE) as f32;
    svg += &format!(
        "<g transform=\"translate({} {}) scale({})\" shape-rendering=\"crispEdges\"><path fill=\"#000\" d=\"{}\"/></g>\n</svg>\n",
        l.qr_at.0,
        l.qr_at.1,
        l.qr_side / modules,
        l.qr.svg_path(QUIET_ZONE)
    );
    Ok(svg)
}

/// The poster as a greyscale PNG at `options.dpi`, its text drawn with `font` (TrueType or
/// OpenType bytes, or a collection, whose first face is used). A font without a glyph for some
/// character of the poster is refused, rather than printing blank boxes.
pub fn poster_png(
    venue: &Venue,
    text: &str,
    font: &[u8],
    options: &PosterOptions,
) -> Result<Vec<u8>, Error> {
    let l = layout(venue, text, options)?;
    let font = FontRef::try_from_slice_and_index(font, 0).map_err(|_| Error::InvalidInput {
        field: "font",
        reason: "not a TrueType or OpenType font".into(),
    })?;
    let dpi = f32::from(u16::try_from(options.dpi.clamp(72, 600)).unwrap_or(300));
    let px = |mm: f32| mm * dpi / 25.4;
    let (w, h) = (pixel(px(A4_MM.0).round()), pixel(px(A4_MM.1).round()));
    let mut canvas = vec![255u8; w * h];
    let mut fill = |x0: f32, y0: f32, x1: f32, y1: f32| {
        let (x0, x1) = (pixel(x0), pixel(x1).min(w));
        let (y0, y1) = (pixel(y0), pixel(y1).min(h));
        for y in y0..y1 {
            canvas[y * w + x0..y * w + x1.max(x0)].fill(0);
        }
    };
    // Border.
    let (b, t) = (px(BORDER_INSET), px(1.5));
    fill(
        b - t / 2.0,
        b - t / 2.0,
        w as f32 - b + t / 2.0,
        b + t / 2.0,
    );
    fill(
        b - t / 2.0,
        h as f32 - b - t / 2.0,
        w as f32 - b + t / 2.0,
        h as f32 - b + t / 2.0,
    );
    fill(
        b - t / 2.0,
        b - t / 2.0,
        b + t / 2.0,
        h as f32 - b + t / 2.0,
    );
    fill(
        w as f32 - b - t / 2.0,
        b - t / 2.0,
        w as f32 - b + t / 2.0,
        h as f32 - b + t / 2.0,
    );
    // The code: whole pixels a module, so every module has the same size, centred on its box.
    let side = l.qr.width() + 2 * QUIET_ZONE;
    let module = (px(l.qr_side) / side as f32).floor().max(1.0);
    let ox = (px(l.qr_at.0) + (px(l.qr_side) - module * side as f32) / 2.0).round();
    let oy = (px(l.qr_at.1) + (px(l.qr_side) - module * side as f32) / 2.0).round();
    for my in 0..l.qr.width() {
        for mx in 0..l.qr.width() {
            if l.qr.is_dark(mx, my) {
                let x = ox + (mx + QUIET_ZONE) as f32 * module;
                let y = oy + (my + QUIET_ZONE) as f32 * module;
                fill(x, y, x + module, y + module);
            }
        }
    }
    for line in &l.lines {
        draw_line(
            &font,
            line,
            px(line.size),
            px(line.baseline),
            w,
            h,
            &mut canvas,
        )?;
    }
    crate::qr::render::encode_grey_png(
        u32::try_from(w).unwrap_or(u32::MAX),
        u32::try_from(h).unwrap_or(u32::MAX),
        &canvas,
    )
}

fn draw_line(
    font: &FontRef<'_>,
    line: &Line,
    size_px: f32,
    baseline: f32,
    w: usize,
    h: usize,
    canvas: &mut [u8],
) -> Result<(), Error> {
    let mut scale = PxScale::from(size_px);
    let glyphs: Vec<_> = line.text.chars().map(|c| (c, font.glyph_id(c))).collect();
    if glyphs.iter().any(|&(c, g)| g.0 == 0 && !c.is_whitespace()) {
        return Err(Error::InvalidInput {
            field: "font",
            reason: format!(
                "the font has no glyph for a character of the poster's {}",
                line.field
            ),
        });
    }
    let width = |scale: PxScale| -> f32 {
        let scaled = font.as_scaled(scale);
        glyphs.iter().map(|&(_, g)| scaled.h_advance(g)).sum()
    };
    let max_width = MAX_TEXT_WIDTH / A4_MM.0 * w as f32;
    let measured = width(scale);
    if measured > max_width {
        scale = PxScale::from(size_px * max_width / measured);
    }
    let scaled = font.as_scaled(scale);
    let mut x = (w as f32 - width(scale)) / 2.0;
    for &(_, id) in &glyphs {
        let glyph = id.with_scale_and_position(scale, point(x, baseline));
        x += scaled.h_advance(id);
        let Some(outline) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            // Glyph pixels left of or above the page are dropped, not clamped onto its edge.
            if bounds.min.x + (gx as f32) < 0.0 || bounds.min.y + (gy as f32) < 0.0 {
                return;
            }
            let (px, py) = (
                pixel(bounds.min.x) + gx as usize,
                pixel(bounds.min.y) + gy as usize,
            );
            if px < w && py < h {
                let ink = u8::try_from(pixel(coverage.clamp(0.0, 1.0) * 255.0)).unwrap_or(u8::MAX);
                let p = &mut canvas[py * w + px];
                *p = p.saturating_sub(ink);
            }
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
