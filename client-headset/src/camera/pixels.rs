//! A camera's pictures in the encoder's and the renderer's input format (RGBA, 8 bits a
//! channel). UVC cameras send packed YUYV (4:2:2), NV12 (4:2:0, a luma plane then interleaved
//! chroma) or MJPEG; the conversions are the `yuv` crate's (BT.601, limited range: what UVC
//! cameras send uncompressed) and `zune-jpeg`'s (which also fills in the Huffman tables MJPEG
//! frames leave out).

use yuv::{YuvBiPlanarImage, YuvConversionMode, YuvPackedImage, YuvRange, YuvStandardMatrix};
use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    Yuyv,
    Nv12,
    Mjpeg,
}

impl PixelFormat {
    /// Ours first: the cheapest to convert.
    pub const PREFERRED: [PixelFormat; 3] =
        [PixelFormat::Yuyv, PixelFormat::Nv12, PixelFormat::Mjpeg];

    pub fn fourcc(self) -> [u8; 4] {
        match self {
            PixelFormat::Yuyv => *b"YUYV",
            PixelFormat::Nv12 => *b"NV12",
            PixelFormat::Mjpeg => *b"MJPG",
        }
    }

    pub fn from_fourcc(fourcc: [u8; 4]) -> Option<Self> {
        Self::PREFERRED.into_iter().find(|f| f.fourcc() == fourcc)
    }
}

/// The layout of one camera picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Picture {
    pub format: PixelFormat,
    pub width: u32,
    pub height: u32,
    /// Bytes from one row to the next in the first plane (drivers may pad rows).
    pub stride: u32,
}

impl Picture {
    /// Rows without padding.
    pub fn packed(format: PixelFormat, width: u32, height: u32) -> Self {
        let stride = match format {
            PixelFormat::Yuyv => width * 2,
            PixelFormat::Nv12 | PixelFormat::Mjpeg => width,
        };
        Self {
            format,
            width,
            height,
            stride,
        }
    }

    /// Bytes of one uncompressed picture; `None` for MJPEG (it varies).
    pub fn bytes(&self) -> Option<usize> {
        let plane = self.stride as usize * self.height as usize;
        match self.format {
            PixelFormat::Yuyv => Some(plane),
            PixelFormat::Nv12 => Some(plane + plane / 2),
            PixelFormat::Mjpeg => None,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PixelError {
    #[error("a {width}x{height} {format:?} picture needs {needed} bytes, the camera gave {got}")]
    Short {
        format: PixelFormat,
        width: u32,
        height: u32,
        needed: usize,
        got: usize,
    },
    #[error("the camera's MJPEG picture does not decode: {0}")]
    Jpeg(String),
    #[error(
        "the camera's MJPEG picture is {got_width}x{got_height}, {width}x{height} was asked for"
    )]
    JpegSize {
        width: u32,
        height: u32,
        got_width: u32,
        got_height: u32,
    },
    #[error("converting the camera's picture: {0}")]
    Convert(String),
}

/// Converts one camera picture laid out as `picture` to RGBA in `rgba` (resized to fit).
pub fn to_rgba(picture: Picture, data: &[u8], rgba: &mut Vec<u8>) -> Result<(), PixelError> {
    let Picture {
        format,
        width,
        height,
        stride,
    } = picture;
    if let Some(needed) = picture.bytes()
        && data.len() < needed
    {
        return Err(PixelError::Short {
            format,
            width,
            height,
            needed,
            got: data.len(),
        });
    }
    rgba.resize(width as usize * height as usize * 4, 0);
    let convert = |e: yuv::YuvError| PixelError::Convert(e.to_string());
    match format {
        PixelFormat::Yuyv => yuv::yuyv422_to_rgba(
            &YuvPackedImage {
                yuy: data,
                yuy_stride: stride,
                width,
                height,
            },
            rgba,
            width * 4,
            YuvRange::Limited,
            YuvStandardMatrix::Bt601,
        )
        .map_err(convert),
        PixelFormat::Nv12 => {
            let luma = stride as usize * height as usize;
            yuv::yuv_nv12_to_rgba(
                &YuvBiPlanarImage {
                    y_plane: &data[..luma],
                    y_stride: stride,
                    uv_plane: &data[luma..],
                    uv_stride: stride,
                    width,
                    height,
                },
                rgba,
                width * 4,
                YuvRange::Limited,
                YuvStandardMatrix::Bt601,
                YuvConversionMode::Balanced,
            )
            .map_err(convert)
        }
        PixelFormat::Mjpeg => decode_jpeg(width, height, data, rgba),
    }
}

fn decode_jpeg(width: u32, height: u32, data: &[u8], rgba: &mut [u8]) -> Result<(), PixelError> {
    let options = DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::RGBA);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(data), options);
    decoder
        .decode_headers()
        .map_err(|e| PixelError::Jpeg(e.to_string()))?;
    let (got_width, got_height) = decoder
        .dimensions()
        .map(|(w, h)| (w as u32, h as u32))
        .unwrap_or((0, 0));
    if (got_width, got_height) != (width, height) {
        return Err(PixelError::JpegSize {
            width,
            height,
            got_width,
            got_height,
        });
    }
    decoder
        .decode_into(rgba)
        .map_err(|e| PixelError::Jpeg(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: u32 = 16;
    const H: u32 = 8;

    /// BT.601 limited-range codes of saturated colours, worked by hand from the standard:
    /// Y = 16 + 219·(0.299 R + 0.587 G + 0.114 B), Cb/Cr = 128 + 224·(B−Y′)/1.772, (R−Y′)/1.402.
    const RED: ([u8; 3], [u8; 3]) = ([81, 90, 240], [255, 0, 0]);
    const GREEN: ([u8; 3], [u8; 3]) = ([145, 54, 34], [0, 255, 0]);
    const BLUE: ([u8; 3], [u8; 3]) = ([41, 240, 110], [0, 0, 255]);
    const GREY: ([u8; 3], [u8; 3]) = ([126, 128, 128], [128, 128, 128]);

    /// The colour of pixel (x, y) in the test picture: four vertical bands.
    fn band(x: u32) -> ([u8; 3], [u8; 3]) {
        [RED, GREEN, BLUE, GREY][(x * 4 / W) as usize]
    }

    fn yuyv() -> Vec<u8> {
        let mut out = Vec::new();
        for _ in 0..H {
            for x in (0..W).step_by(2) {
                let ([y, u, v], _) = band(x);
                out.extend_from_slice(&[y, u, y, v]);
            }
        }
        out
    }

    fn nv12() -> Vec<u8> {
        let mut out = Vec::new();
        for _ in 0..H {
            out.extend((0..W).map(|x| band(x).0[0]));
        }
        for _ in 0..H / 2 {
            for x in (0..W).step_by(2) {
                let ([_, u, v], _) = band(x);
                out.extend_from_slice(&[u, v]);
            }
        }
        out
    }

    fn assert_bands(rgba: &[u8]) {
        assert_eq!(rgba.len(), (W * H * 4) as usize);
        for y in 0..H {
            for x in 0..W {
                let (_, want) = band(x);
                let i = ((y * W + x) * 4) as usize;
                let got = &rgba[i..i + 4];
                for c in 0..3 {
                    assert!(
                        got[c].abs_diff(want[c]) <= 3,
                        "pixel ({x}, {y}): {got:?}, want {want:?}"
                    );
                }
                assert_eq!(got[3], 255);
            }
        }
    }

    #[test]
    fn yuyv_becomes_the_colours_the_camera_saw() {
        let mut rgba = Vec::new();
        to_rgba(Picture::packed(PixelFormat::Yuyv, W, H), &yuyv(), &mut rgba).unwrap();
        assert_bands(&rgba);
    }

    #[test]
    fn nv12_becomes_the_colours_the_camera_saw() {
        let mut rgba = Vec::new();
        to_rgba(Picture::packed(PixelFormat::Nv12, W, H), &nv12(), &mut rgba).unwrap();
        assert_bands(&rgba);
    }

    #[test]
    fn mjpeg_decodes_to_the_colours_it_was_made_of() {
        let mut picture = Vec::new();
        for _ in 0..H {
            for x in 0..W {
                picture.extend_from_slice(&band(x).1);
            }
        }
        let mut jpeg = Vec::new();
        jpeg_encoder::Encoder::new(&mut jpeg, 100)
            .encode(&picture, W as u16, H as u16, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        let mut rgba = Vec::new();
        to_rgba(Picture::packed(PixelFormat::Mjpeg, W, H), &jpeg, &mut rgba).unwrap();
        // JPEG is lossy at the bands' edges: the middle of each band.
        for x in [1, 5, 9, 13] {
            let want = band(x).1;
            let got = &rgba[(x * 4) as usize..(x * 4 + 3) as usize];
            for c in 0..3 {
                assert!(
                    got[c].abs_diff(want[c]) <= 8,
                    "x {x}: {got:?}, want {want:?}"
                );
            }
        }
        let wrong_size = to_rgba(
            Picture::packed(PixelFormat::Mjpeg, W * 2, H),
            &jpeg,
            &mut rgba,
        )
        .unwrap_err();
        assert!(
            matches!(wrong_size, PixelError::JpegSize { got_width: 16, .. }),
            "{wrong_size}"
        );
    }

    #[test]
    fn a_short_or_broken_picture_is_an_error_not_a_crash() {
        let mut rgba = Vec::new();
        let short = to_rgba(
            Picture::packed(PixelFormat::Yuyv, W, H),
            &yuyv()[..100],
            &mut rgba,
        )
        .unwrap_err();
        assert_eq!(
            short.to_string(),
            "a 16x8 Yuyv picture needs 256 bytes, the camera gave 100"
        );
        let short = to_rgba(
            Picture::packed(PixelFormat::Nv12, W, H),
            &nv12()[..W as usize * H as usize],
            &mut rgba,
        )
        .unwrap_err();
        assert!(
            matches!(short, PixelError::Short { needed: 192, .. }),
            "{short}"
        );
        let garbage = to_rgba(
            Picture::packed(PixelFormat::Mjpeg, W, H),
            b"not a jpeg at all",
            &mut rgba,
        )
        .unwrap_err();
        assert!(matches!(garbage, PixelError::Jpeg(_)), "{garbage}");
    }

    #[test]
    fn rows_padded_by_the_driver_are_skipped() {
        // Each YUYV row padded with 8 bytes, as some drivers align rows.
        let stride = W * 2 + 8;
        let mut padded = Vec::new();
        for row in yuyv().chunks(W as usize * 2) {
            padded.extend_from_slice(row);
            padded.extend_from_slice(&[0xAB; 8]);
        }
        let picture = Picture {
            stride,
            ..Picture::packed(PixelFormat::Yuyv, W, H)
        };
        let mut rgba = Vec::new();
        to_rgba(picture, &padded, &mut rgba).unwrap();
        assert_bands(&rgba);
    }

    #[test]
    fn formats_are_known_by_their_fourcc() {
        assert_eq!(PixelFormat::from_fourcc(*b"MJPG"), Some(PixelFormat::Mjpeg));
        assert_eq!(PixelFormat::from_fourcc(*b"H264"), None);
    }
}
