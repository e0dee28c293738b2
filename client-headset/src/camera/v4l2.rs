//! A UVC camera through Video4Linux2 (the `v4l` crate): the calibrated size in the best format
//! the camera offers, memory-mapped buffers, and each picture's capture time from the driver's
//! CLOCK_MONOTONIC timestamp, so the head can be located at the instant the picture is of.

use super::feed::{CameraFeed, CameraFrame};
use super::pixels::{Picture, PixelFormat, to_rgba};
use anyhow::{Context, bail};
use std::path::Path;
use v4l::buffer::{Flags, Type};
use v4l::io::mmap::Stream;
use v4l::io::traits::CaptureStream;
use v4l::video::Capture;
use v4l::{Device, FourCC};

/// Buffers the driver fills ahead of us: enough to ride out a slow frame, few enough that a
/// picture is never old when we take it.
const BUFFERS: u32 = 3;

pub struct CameraCapture {
    stream: Stream<'static>,
    picture: Picture,
    warned_clock: bool,
}

impl CameraCapture {
    /// Opens `path` at `width` x `height`, in the first of our preferred formats it offers.
    pub fn open(path: &Path, width: u32, height: u32) -> anyhow::Result<Self> {
        let device = Device::with_path(path)
            .with_context(|| format!("cannot open the camera {}", path.display()))?;
        let offered: Vec<PixelFormat> = device
            .enum_formats()
            .with_context(|| format!("{} lists no picture formats", path.display()))?
            .iter()
            .filter_map(|d| PixelFormat::from_fourcc(d.fourcc.repr))
            .collect();
        let Some(format) = PixelFormat::PREFERRED
            .into_iter()
            .find(|f| offered.contains(f))
        else {
            bail!(
                "the camera {} offers none of YUYV, NV12 or MJPEG",
                path.display()
            );
        };
        let mut wanted = device.format()?;
        wanted.width = width;
        wanted.height = height;
        wanted.fourcc = FourCC::new(&format.fourcc());
        let got = device.set_format(&wanted)?;
        if (got.width, got.height) != (width, height) || got.fourcc != wanted.fourcc {
            bail!(
                "the camera {} gives {}x{} {} when {width}x{height} {} is asked for: calibrate it \
                 at a size it offers",
                path.display(),
                got.width,
                got.height,
                got.fourcc,
                wanted.fourcc
            );
        }
        let picture = Picture {
            format,
            width,
            height,
            stride: if format == PixelFormat::Mjpeg {
                width
            } else {
                got.stride
            },
        };
        // The stream keeps the device's handle; the device itself is not needed after this.
        let device: &'static Device = Box::leak(Box::new(device));
        let stream = Stream::with_buffers(device, Type::VideoCapture, BUFFERS)
            .with_context(|| format!("cannot stream from the camera {}", path.display()))?;
        tracing::info!(camera = %path.display(), ?format, width, height, "camera streaming");
        Ok(Self {
            stream,
            picture,
            warned_clock: false,
        })
    }

    /// The size the camera is set to now (what a capture without a calibration would use).
    pub fn current_size(path: &Path) -> anyhow::Result<(u32, u32)> {
        let device = Device::with_path(path)
            .with_context(|| format!("cannot open the camera {}", path.display()))?;
        let format = device.format()?;
        Ok((format.width, format.height))
    }
}

impl CameraFeed for CameraCapture {
    fn picture(&self) -> Picture {
        self.picture
    }

    fn next_into(&mut self, frame: &mut CameraFrame) -> anyhow::Result<()> {
        let (data, meta) = self.stream.next().context("the camera stopped sending")?;
        let used = (meta.bytesused as usize).min(data.len());
        to_rgba(self.picture, &data[..used], &mut frame.rgba)?;
        frame.sequence = meta.sequence;
        let monotonic = meta.flags & Flags::TIMESTAMP_MASK == Flags::TIMESTAMP_MONOTONIC;
        frame.monotonic_ns = if monotonic {
            i64::try_from(std::time::Duration::from(meta.timestamp).as_nanos()).unwrap_or(0)
        } else {
            if !self.warned_clock {
                tracing::warn!(
                    "the camera's driver does not stamp pictures on the monotonic clock: \
                     taking the time they arrive, a frame or so late"
                );
                self.warned_clock = true;
            }
            crate::clock::monotonic_ns()
        };
        Ok(())
    }
}
