//! A TUN device (IP packets, no extra header) opened through `/dev/net/tun`.

use anyhow::Context;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;

const IFF_TUN: libc::c_short = 0x0001;
const IFF_NO_PI: libc::c_short = 0x1000;
const TUNSETIFF: libc::c_ulong = 0x4004_54ca;

#[repr(C)]
struct IfReq {
    name: [libc::c_char; libc::IFNAMSIZ],
    flags: libc::c_short,
    _pad: [u8; 22],
}

pub struct Tun {
    file: File,
}

impl Tun {
    /// Creates (or attaches to) the TUN interface `name`.
    pub fn open(name: &str) -> anyhow::Result<Self> {
        anyhow::ensure!(
            name.len() < libc::IFNAMSIZ,
            "interface name {name:?} is too long"
        );
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/net/tun")
            .context("opening /dev/net/tun (needs root)")?;
        let mut request = IfReq {
            name: [0; libc::IFNAMSIZ],
            flags: IFF_TUN | IFF_NO_PI,
            _pad: [0; 22],
        };
        for (dst, src) in request.name.iter_mut().zip(name.bytes()) {
            *dst = src as libc::c_char;
        }
        // SAFETY: TUNSETIFF reads and writes an `ifreq`, which `IfReq` lays out.
        let result = unsafe { libc::ioctl(file.as_raw_fd(), TUNSETIFF, &mut request) };
        anyhow::ensure!(
            result >= 0,
            "TUNSETIFF {name}: {}",
            std::io::Error::last_os_error()
        );
        Ok(Self { file })
    }

    /// Reads one packet into `buf`; returns its length.
    pub fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        (&self.file).read(buf)
    }

    /// Writes one packet.
    pub fn write(&self, packet: &[u8]) -> std::io::Result<()> {
        (&self.file).write_all(packet)
    }
}
