//! Lines of text drawn into a fixed-size RGBA picture: white letters on a dark, half-clear plate
//! just large enough for them (the rest clear), legible over whatever the wearer looks at. The
//! font is Hack (from egui's font crate, embedded: a headset has no font directory to count
//! on); ab_glyph lays it out and rasterises it. See docs/decisions/status-panel-text.md.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use std::sync::LazyLock;

static FONT: LazyLock<Option<FontRef<'static>>> = LazyLock::new(|| {
    FontRef::try_from_slice(epaint_default_fonts::HACK_REGULAR)
        .inspect_err(|e| tracing::warn!("the status panel's font cannot be read: {e}"))
        .ok()
});

/// The plate's colour and opacity, and its margin around the text (in pixels).
const PLATE: [u8; 4] = [12, 16, 24, 170];
const MARGIN: f32 = 8.0;

/// A picture, rows top to bottom, 4 bytes a pixel (sRGB, straight alpha).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextPicture {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

impl TextPicture {
    fn clear(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            rgba: vec![0; (width * height * 4) as usize],
        }
    }

    fn pixel(&mut self, x: i64, y: i64) -> Option<&mut [u8]> {
        if x < 0 || y < 0 || x >= self.width as i64 || y >= self.height as i64 {
            return None;
        }
        let i = ((y as u32 * self.width + x as u32) * 4) as usize;
        Some(&mut self.rgba[i..i + 4])
    }
}

/// `lines` in letters `px` pixels tall from the top-left of a `width` × `height` picture; what
/// does not fit is cut. Clear all over without lines (or without the font).
pub fn draw_lines(lines: &[String], px: f32, width: u32, height: u32) -> TextPicture {
    let mut picture = TextPicture::clear(width, height);
    let Some(font) = FONT.as_ref() else {
        return picture;
    };
    if lines.is_empty() {
        return picture;
    }
    let font = font.as_scaled(PxScale::from(px));
    let line_height = (font.height() + font.line_gap()).ceil();
    let widest = lines
        .iter()
        .map(|line| {
            line.chars()
                .map(|c| font.h_advance(font.glyph_id(c)))
                .sum::<f32>()
        })
        .fold(0.0, f32::max);
    let plate_w = (widest + 2.0 * MARGIN).ceil() as i64;
    let plate_h = (line_height * lines.len() as f32 + 2.0 * MARGIN).ceil() as i64;
    for y in 0..plate_h {
        for x in 0..plate_w {
            if let Some(p) = picture.pixel(x, y) {
                p.copy_from_slice(&PLATE);
            }
        }
    }
    for (row, line) in lines.iter().enumerate() {
        let baseline = MARGIN + font.ascent() + line_height * row as f32;
        let mut x = MARGIN;
        for c in line.chars() {
            let id = font.glyph_id(c);
            let glyph = id.with_scale_and_position(font.scale(), point(x, baseline));
            x += font.h_advance(id);
            let Some(outline) = font.outline_glyph(glyph) else {
                continue; // a space
            };
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                let at = (
                    bounds.min.x as i64 + gx as i64,
                    bounds.min.y as i64 + gy as i64,
                );
                if let Some(p) = picture.pixel(at.0, at.1) {
                    blend_white(p, coverage);
                }
            });
        }
    }
    picture
}

/// Lays opaque white over the plate's pixel, as much as the glyph covers it.
fn blend_white(pixel: &mut [u8], coverage: f32) {
    let c = coverage.clamp(0.0, 1.0);
    for channel in pixel.iter_mut() {
        *channel = (*channel as f32 + (255.0 - *channel as f32) * c).round() as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(p: &TextPicture) -> usize {
        p.rgba.chunks(4).filter(|px| px[0] > 200).count()
    }

    fn plate(p: &TextPicture) -> usize {
        p.rgba.chunks(4).filter(|px| px[3] > 0).count()
    }

    #[test]
    fn more_text_lights_more_pixels_on_a_plate_that_fits_it() {
        let one = draw_lines(&["Ana".into()], 24.0, 400, 200);
        let two = draw_lines(&["Ana".into(), "Microphone muted".into()], 24.0, 400, 200);
        assert_eq!(one.rgba.len(), 400 * 200 * 4);
        assert!(lit(&one) > 50, "letters drawn: {}", lit(&one));
        assert!(lit(&two) > lit(&one) * 3, "{} vs {}", lit(&two), lit(&one));
        assert!(
            plate(&two) > plate(&one) * 3,
            "the plate grows with the text"
        );
        // The plate starts in the top-left corner; the far corner stays clear.
        assert_eq!(&one.rgba[..4], &PLATE);
        assert_eq!(&two.rgba[two.rgba.len() - 4..], &[0, 0, 0, 0]);
    }

    #[test]
    fn names_beyond_ascii_are_drawn_and_no_lines_leave_the_picture_clear() {
        let font = FONT.as_ref().unwrap();
        for c in "ëØŁ".chars() {
            assert_ne!(font.glyph_id(c).0, 0, "the font has {c}, not a box for it");
        }
        let accented = draw_lines(&["Zoë Øyvind Łukasz".into()], 24.0, 400, 60);
        let plain = draw_lines(&["Zoe Oyvind Lukasz".into()], 24.0, 400, 60);
        assert!(
            lit(&accented) > lit(&plain),
            "the marks over the letters are drawn"
        );
        assert_eq!(plate(&draw_lines(&[], 24.0, 400, 60)), 0);
        // Too long for the picture: cut at its edge, not a panic.
        let long = draw_lines(&["x".repeat(200)], 24.0, 100, 20);
        assert_eq!(long.rgba.len(), 100 * 20 * 4);
    }
}
