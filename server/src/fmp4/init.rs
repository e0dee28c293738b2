//! The boxes around the samples that every file needs: `ftyp`, and a `moov` of tracks, either
//! empty with `mvex` (a fragmented file's init segment) or with full sample tables (export).

use mp4_atom::{
    Codec, Dinf, Dref, Encode, FourCC, Ftyp, Hdlr, Mdhd, Mdia, Minf, Moov, Mvex, Mvhd, Smhd, Stbl,
    Stsd, Tkhd, Trak, Trex, Url, Vmhd,
};

/// Which kind of media a track carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackKind {
    Video,
    Voice,
}

/// What describes a track apart from its samples.
#[derive(Debug, Clone)]
pub(crate) struct TrackSpec {
    pub track_id: u32,
    pub kind: TrackKind,
    pub timescale: u32,
    pub codec: Codec,
    pub width: u16,
    pub height: u16,
}

pub(crate) fn ftyp(kind: TrackKind) -> Ftyp {
    let mut compatible_brands = vec![FourCC::new(b"iso6"), FourCC::new(b"mp41")];
    if kind == TrackKind::Voice {
        // The brand of Opus in ISOBMFF.
        compatible_brands.push(FourCC::new(b"Opus"));
    }
    Ftyp {
        major_brand: FourCC::new(b"iso6"),
        minor_version: 0,
        compatible_brands,
    }
}

/// `trak` for `spec` with `stbl` as its sample tables; durations in the track's timescale
/// (`mdhd`) and in the movie's (`tkhd`).
pub(crate) fn trak(spec: &TrackSpec, stbl: Stbl, duration: u64, movie_duration: u64) -> Trak {
    let video = spec.kind == TrackKind::Video;
    let mut codecs = stbl.stsd.codecs;
    if codecs.is_empty() {
        codecs.push(spec.codec.clone());
    }
    Trak {
        tkhd: Tkhd {
            track_id: spec.track_id,
            duration: movie_duration,
            enabled: true,
            in_movie: true,
            volume: if video { 0.into() } else { 1.into() },
            width: spec.width.into(),
            height: spec.height.into(),
            ..Default::default()
        },
        mdia: Mdia {
            mdhd: Mdhd {
                timescale: spec.timescale,
                duration,
                language: "und".into(),
                ..Default::default()
            },
            hdlr: Hdlr {
                handler: FourCC::new(if video { b"vide" } else { b"soun" }),
                name: if video {
                    "Spotter video"
                } else {
                    "Spotter voice"
                }
                .into(),
            },
            minf: Minf {
                vmhd: video.then(Vmhd::default),
                smhd: (!video).then(Smhd::default),
                dinf: Dinf {
                    dref: Dref {
                        entries: vec![Url::default().into()],
                    },
                },
                stbl: Stbl {
                    stsd: Stsd { codecs },
                    ..stbl
                },
                ..Default::default()
            },
        },
        ..Default::default()
    }
}

/// The init segment (`ftyp` + `moov` with `mvex`) of a fragmented file holding one track.
pub(crate) fn init_segment(spec: &TrackSpec) -> Result<Vec<u8>, mp4_atom::Error> {
    let moov = Moov {
        mvhd: Mvhd {
            timescale: spec.timescale,
            rate: 1.into(),
            volume: 1.into(),
            next_track_id: spec.track_id + 1,
            ..Default::default()
        },
        mvex: Some(Mvex {
            mehd: None,
            trex: vec![Trex {
                track_id: spec.track_id,
                default_sample_description_index: 1,
                ..Default::default()
            }],
        }),
        trak: vec![trak(spec, Stbl::default(), 0, 0)],
        ..Default::default()
    };
    let mut bytes = Vec::with_capacity(1024);
    ftyp(spec.kind).encode(&mut bytes)?;
    moov.encode(&mut bytes)?;
    Ok(bytes)
}
