//! One request's eye pictures as they are gathered, and how they are written: a PNG an eye,
//! then a JSON file naming them with each eye's pose and field of view (written last, under
//! its final name only once complete, so a reader that sees it can read everything).

use anyhow::Context;
use bevy::image::Image;
use bevy::render::render_resource::TextureFormat;
use serde::Serialize;
use spotter_protocol::Pose;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

const EYES: [&str; 2] = ["left", "right"];

/// An eye's field of view: OpenXR's angles from the view's forward axis, radians (left and
/// down negative).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Fov {
    pub angle_left: f32,
    pub angle_right: f32,
    pub angle_up: f32,
    pub angle_down: f32,
}

/// Where an eye looked from in the world and how wide, as the frame submitted it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EyeView {
    /// Camera → world: the eye looks along its −Z, +Y up.
    pub pose: Pose,
    pub fov: Fov,
}

/// An eye's picture, 8-bit RGBA in sRGB, rows top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct Shot {
    pub pictures: [Option<Picture>; 2],
    pub views: [Option<EyeView>; 2],
    /// It cannot be completed: its frame was not the one drawn with the pictures, or a
    /// picture could not be read.
    pub unusable: bool,
}

impl Shot {
    pub fn is_complete(&self) -> bool {
        self.pictures.iter().all(Option::is_some) && self.views.iter().all(Option::is_some)
    }

    /// Keeps eye `eye`'s screenshot; one in a format this cannot read is said and dropped.
    pub fn set_picture(&mut self, eye: usize, image: &Image) {
        match picture_from(image) {
            Ok(picture) => {
                if let Some(slot) = self.pictures.get_mut(eye) {
                    *slot = Some(picture);
                }
            }
            Err(e) => {
                tracing::warn!("the {} eye's picture: {e}", EYES.get(eye).unwrap_or(&"?"));
                self.unusable = true;
            }
        }
    }
}

/// The screenshot as RGBA bytes: swapchains are RGBA or BGRA, 8 bits, sRGB or linear.
pub fn picture_from(image: &Image) -> Result<Picture, String> {
    let format = image.texture_descriptor.format;
    let swap_red_blue = match format {
        TextureFormat::Rgba8UnormSrgb | TextureFormat::Rgba8Unorm => false,
        TextureFormat::Bgra8UnormSrgb | TextureFormat::Bgra8Unorm => true,
        other => return Err(format!("the swapchain's format {other:?} is not read here")),
    };
    let (width, height) = (image.width(), image.height());
    let data = image
        .data
        .as_deref()
        .ok_or("the screenshot has no pixels")?;
    if data.len() != width as usize * height as usize * 4 {
        return Err(format!(
            "{} bytes for a {width}x{height} picture",
            data.len()
        ));
    }
    let mut rgba = data.to_vec();
    if swap_red_blue {
        for pixel in rgba.chunks_exact_mut(4) {
            pixel.swap(0, 2);
        }
    }
    Ok(Picture {
        width,
        height,
        rgba,
    })
}

#[derive(Serialize)]
struct EyeEntry<'a> {
    eye: &'static str,
    picture: String,
    width: u32,
    height: u32,
    #[serde(flatten)]
    view: &'a EyeView,
}

#[derive(Serialize)]
struct ShotFile<'a> {
    shot: u64,
    eyes: Vec<EyeEntry<'a>>,
}

/// Writes a complete shot as `eyes-N-left.png`, `eyes-N-right.png` and `eyes-N.json` in `dir`;
/// returns the JSON file's path.
pub fn write_shot(dir: &Path, number: u64, shot: &Shot) -> anyhow::Result<PathBuf> {
    let mut eyes = Vec::new();
    for (eye, (picture, view)) in shot.pictures.iter().zip(&shot.views).enumerate() {
        let (Some(picture), Some(view)) = (picture, view) else {
            anyhow::bail!("the {} eye's picture or view is missing", EYES[eye]);
        };
        let name = format!("eyes-{number}-{}.png", EYES[eye]);
        write_png(&dir.join(&name), picture)?;
        eyes.push(EyeEntry {
            eye: EYES[eye],
            picture: name,
            width: picture.width,
            height: picture.height,
            view,
        });
    }
    let json = dir.join(format!("eyes-{number}.json"));
    let partial = dir.join(format!(".eyes-{number}.json.partial"));
    let text = serde_json::to_vec_pretty(&ShotFile { shot: number, eyes })?;
    std::fs::write(&partial, text).with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, &json).with_context(|| format!("naming {}", json.display()))?;
    Ok(json)
}

fn write_png(path: &Path, picture: &Picture) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut encoder = png::Encoder::new(BufWriter::new(file), picture.width, picture.height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_source_srgb(png::SrgbRenderingIntent::Perceptual);
    let mut writer = encoder.write_header()?;
    writer
        .write_image_data(&picture.rgba)
        .with_context(|| format!("writing {}", path.display()))?;
    writer.finish()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy::render::render_resource::{Extent3d, TextureDimension};
    use glam::{Quat, Vec3};

    fn screenshot(format: TextureFormat, pixels: &[[u8; 4]]) -> Image {
        Image::new(
            Extent3d {
                width: pixels.len() as u32,
                height: 1,
                depth_or_array_layers: 1,
            },
            TextureDimension::D2,
            pixels.concat(),
            format,
            Default::default(),
        )
    }

    #[test]
    fn bgra_and_rgba_screenshots_become_the_same_colours_and_others_are_refused() {
        let pink_then_green = [[255, 45, 149, 255], [0, 200, 0, 255]];
        let rgba = picture_from(&screenshot(TextureFormat::Rgba8UnormSrgb, &pink_then_green));
        let bgra = picture_from(&screenshot(
            TextureFormat::Bgra8UnormSrgb,
            &[[149, 45, 255, 255], [0, 200, 0, 255]],
        ));
        assert_eq!(
            rgba.as_ref().map(|p| p.rgba.clone()),
            Ok(pink_then_green.concat())
        );
        assert_eq!(rgba, bgra);
        let float = Image::new_fill(
            Extent3d::default(),
            TextureDimension::D2,
            &[0; 8],
            TextureFormat::Rgba16Float,
            Default::default(),
        );
        assert!(picture_from(&float).unwrap_err().contains("Rgba16Float"));
    }

    #[test]
    fn a_shot_is_two_pngs_of_the_eyes_pixels_and_a_json_naming_them_with_their_views() {
        let dir = std::env::temp_dir().join(format!("spotter-eye-shots-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let view = |x: f32| EyeView {
            pose: Pose::new(Vec3::new(x, 1.6, 0.0), Quat::from_rotation_y(0.1)),
            fov: Fov {
                angle_left: -0.8,
                angle_right: 0.7,
                angle_up: 0.75,
                angle_down: -0.85,
            },
        };
        let picture = |shade: u8| Picture {
            width: 3,
            height: 2,
            rgba: (0..6).flat_map(|i| [shade, i * 40, 0, 255]).collect(),
        };
        let mut shot = Shot::default();
        assert!(
            write_shot(&dir, 7, &shot).is_err(),
            "an incomplete shot is not written"
        );
        shot.pictures = [Some(picture(10)), Some(picture(200))];
        shot.views = [Some(view(-0.032)), Some(view(0.032))];
        assert!(shot.is_complete());
        let json = write_shot(&dir, 7, &shot).unwrap();
        assert_eq!(json, dir.join("eyes-7.json"));
        let written: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        for (i, eye) in ["left", "right"].into_iter().enumerate() {
            let entry = &written["eyes"][i];
            assert_eq!(entry["eye"], eye);
            assert_eq!(entry["width"], 3);
            let x = entry["pose"]["position"][0].as_f64().unwrap();
            assert!((x - f64::from(view(0.032).pose.position.x) * [-1.0, 1.0][i]).abs() < 1e-6);
            assert!((entry["fov"]["angle_left"].as_f64().unwrap() + 0.8).abs() < 1e-6);
            let png_path = dir.join(entry["picture"].as_str().unwrap());
            let decoder = png::Decoder::new(std::io::BufReader::new(
                std::fs::File::open(&png_path).unwrap(),
            ));
            let mut reader = decoder.read_info().unwrap();
            let mut pixels = vec![0; reader.output_buffer_size()];
            let info = reader.next_frame(&mut pixels).unwrap();
            assert_eq!((info.width, info.height), (3, 2));
            assert_eq!(pixels, shot.pictures[i].as_ref().unwrap().rgba);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
