//! A track's media fragments: samples buffered until the writer cuts, then one `moof` (a
//! `traf` with `tfdt` and one `trun`) and its `mdat`.

use mp4_atom::{
    Atom, Encode, FourCC, Header, Mfhd, Moof, Tfdt, Tfhd, Traf, Trun, TrunEntry, TrunSamples,
};

/// Sample flags (ISO/IEC 14496-12 §8.8.3.1): a sync sample depends on no other.
pub(crate) const SYNC_SAMPLE_FLAGS: u32 = 0x0200_0000;
/// A non-sync sample: depends on others, `sample_is_non_sync_sample` set.
pub(crate) const NON_SYNC_SAMPLE_FLAGS: u32 = 0x0101_0000;

/// One media fragment (`moof` + `mdat`), ready to append to the track's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    pub bytes: Vec<u8>,
    /// `mfhd`'s sequence number, from 1.
    pub sequence_number: u32,
    /// The first sample's decode time (`tfdt`), in the track's timescale.
    pub base_decode_time: u64,
    /// The samples' durations added up: the next fragment's `base_decode_time` is this
    /// one's plus this.
    pub duration: u64,
    pub sample_count: u32,
    /// Whether the first sample is a sync sample (a keyframe): playback or seeking may begin
    /// here.
    pub starts_with_keyframe: bool,
}

struct SampleEntry {
    duration: u32,
    size: u32,
    sync: bool,
}

pub(crate) struct FragmentBuilder {
    track_id: u32,
    next_sequence: u32,
    base_decode_time: u64,
    buffered: u64,
    samples: Vec<SampleEntry>,
    data: Vec<u8>,
}

impl FragmentBuilder {
    pub(crate) fn new(track_id: u32, base_decode_time: u64) -> Self {
        Self {
            track_id,
            next_sequence: 1,
            base_decode_time,
            buffered: 0,
            samples: Vec::new(),
            data: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, duration: u32, sync: bool, sample: &[u8]) {
        self.samples.push(SampleEntry {
            duration,
            // Samples come from access units or packets far below 4 GiB; the writers check.
            size: sample.len() as u32,
            sync,
        });
        self.data.extend_from_slice(sample);
        self.buffered += u64::from(duration);
    }

    /// The duration of the samples buffered for the next fragment.
    pub(crate) fn buffered(&self) -> u64 {
        self.buffered
    }

    /// Where the next fragment begins (or the buffered one, if any).
    pub(crate) fn end_time(&self) -> u64 {
        self.base_decode_time + self.buffered
    }

    /// The buffered samples as a fragment, or `None` when there are none.
    pub(crate) fn take(&mut self) -> Result<Option<Fragment>, mp4_atom::Error> {
        if self.samples.is_empty() {
            return Ok(None);
        }
        let mut moof = self.moof();
        let mut bytes = Vec::with_capacity(self.data.len() + 64 + self.samples.len() * 12);
        moof.encode(&mut bytes)?;
        // The data offset counts from the moof's first byte (default-base-is-moof) to the
        // first sample, just past the mdat header; its size is fixed, so encode again.
        let data_offset =
            i32::try_from(bytes.len() + 8).map_err(|_| mp4_atom::Error::TooLarge(Moof::KIND))?;
        moof.traf[0].trun[0].data_offset = Some(data_offset);
        bytes.clear();
        moof.encode(&mut bytes)?;
        Header {
            kind: FourCC::new(b"mdat"),
            size: Some(self.data.len()),
        }
        .encode(&mut bytes)?;
        bytes.extend_from_slice(&self.data);

        let fragment = Fragment {
            bytes,
            sequence_number: self.next_sequence,
            base_decode_time: self.base_decode_time,
            duration: self.buffered,
            sample_count: self.samples.len() as u32,
            starts_with_keyframe: self.samples[0].sync,
        };
        self.next_sequence += 1;
        self.base_decode_time += self.buffered;
        self.buffered = 0;
        self.samples.clear();
        self.data.clear();
        Ok(Some(fragment))
    }

    fn moof(&self) -> Moof {
        let flags = |s: &SampleEntry| {
            if s.sync {
                SYNC_SAMPLE_FLAGS
            } else {
                NON_SYNC_SAMPLE_FLAGS
            }
        };
        // The flags most samples share go in tfhd; a first sample that differs says so in
        // trun (first-sample-flags); only a run whose later samples differ lists them all.
        let rest = self.samples.get(1..).unwrap_or_default();
        let default_flags = rest.first().map_or(flags(&self.samples[0]), flags);
        let rest_uniform = rest.iter().all(|s| flags(s) == default_flags);
        let entries = self
            .samples
            .iter()
            .enumerate()
            .map(|(i, s)| TrunEntry {
                duration: Some(s.duration),
                size: Some(s.size),
                flags: (!rest_uniform || (i == 0 && flags(s) != default_flags)).then(|| flags(s)),
                cts: None,
            })
            .collect();
        Moof {
            mfhd: Mfhd {
                sequence_number: self.next_sequence,
            },
            traf: vec![Traf {
                tfhd: Tfhd {
                    track_id: self.track_id,
                    default_sample_flags: Some(default_flags),
                    default_base_is_moof: true,
                    ..Default::default()
                },
                tfdt: Some(Tfdt {
                    base_media_decode_time: self.base_decode_time,
                }),
                trun: vec![Trun {
                    data_offset: Some(0),
                    samples: TrunSamples::Explicit(entries),
                }],
                ..Default::default()
            }],
        }
    }
}
