//! H.264 access units: from Annex B (start codes, as str0m's depacketiser gives them) to the
//! 4-byte length-prefixed NAL units an MP4 sample holds, and back. NAL unit bytes are never
//! changed, so a sample turned back into Annex B is what was relayed.

use h264_reader::nal::sps::{ChromaFormat, SeqParameterSet};
use h264_reader::nal::{Nal, RefNal};
use mp4_atom::{Avcc, AvccExt};

/// NAL unit types (ITU-T H.264 Table 7-1) the container cares about.
pub const NAL_IDR_SLICE: u8 = 5;
pub const NAL_SPS: u8 = 7;
pub const NAL_PPS: u8 = 8;

/// The Annex B start code written back in front of every NAL unit (str0m writes this one).
const START_CODE: [u8; 4] = [0, 0, 0, 1];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum H264Error {
    #[error("the access unit does not start with an Annex B start code")]
    NotAnnexB,
    #[error("the access unit holds no NAL unit")]
    EmptyAccessUnit,
    #[error("a NAL unit of {0} bytes does not fit a 4-byte length")]
    NalTooLarge(usize),
    #[error("the sample's NAL unit at byte {offset} claims {length} bytes, past its end")]
    TruncatedSample { offset: usize, length: usize },
    #[error("the SPS cannot be read: {0}")]
    BadSps(String),
}

/// The NAL units of an Annex B access unit, without their start codes. Zero bytes before a
/// start code are trailing_zero_8bits (or a 4-byte start code's first byte), never part of a
/// NAL unit, which ends in a non-zero byte (rbsp_trailing_bits or cabac_zero_word's 0x03).
pub fn annex_b_nal_units(access_unit: &[u8]) -> Result<Vec<&[u8]>, H264Error> {
    let starts = start_code_ends(access_unit);
    match starts.first() {
        None => return Err(H264Error::NotAnnexB),
        Some(&first) if access_unit[..first - 3].iter().any(|&b| b != 0) => {
            return Err(H264Error::NotAnnexB);
        }
        Some(_) => {}
    }
    let mut units = Vec::with_capacity(starts.len());
    for (i, &start) in starts.iter().enumerate() {
        let end = starts
            .get(i + 1)
            .map_or(access_unit.len(), |&next| next - 3);
        let unit = trim_trailing_zeros(&access_unit[start..end.max(start)]);
        if !unit.is_empty() {
            units.push(unit);
        }
    }
    if units.is_empty() {
        return Err(H264Error::EmptyAccessUnit);
    }
    Ok(units)
}

/// The offsets just past each `00 00 01` in `bytes`.
fn start_code_ends(bytes: &[u8]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut zeros = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            0 => zeros += 1,
            1 if zeros >= 2 => {
                ends.push(i + 1);
                zeros = 0;
            }
            _ => zeros = 0,
        }
    }
    ends
}

fn trim_trailing_zeros(unit: &[u8]) -> &[u8] {
    let len = unit
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |last| last + 1);
    &unit[..len]
}

/// The type of a NAL unit (its first byte's low 5 bits).
pub fn nal_type(unit: &[u8]) -> u8 {
    unit.first().map_or(0, |header| header & 0x1f)
}

/// Appends `access_unit` (Annex B) to `out` as 4-byte length-prefixed NAL units, the form of
/// an MP4 sample, and returns the NAL units' types in order.
pub fn annex_b_to_sample(access_unit: &[u8], out: &mut Vec<u8>) -> Result<Vec<u8>, H264Error> {
    let units = annex_b_nal_units(access_unit)?;
    let mut types = Vec::with_capacity(units.len());
    for unit in units {
        let length = u32::try_from(unit.len()).map_err(|_| H264Error::NalTooLarge(unit.len()))?;
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(unit);
        types.push(nal_type(unit));
    }
    Ok(types)
}

/// The length-prefixed NAL units of an MP4 sample, in order.
pub fn sample_nal_units(sample: &[u8]) -> Result<Vec<&[u8]>, H264Error> {
    let mut units = Vec::new();
    let mut offset = 0usize;
    while offset < sample.len() {
        let Some(prefix) = sample.get(offset..offset + 4) else {
            return Err(H264Error::TruncatedSample { offset, length: 4 });
        };
        let length = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
        let start = offset + 4;
        let unit = start
            .checked_add(length)
            .and_then(|end| sample.get(start..end))
            .ok_or(H264Error::TruncatedSample { offset, length })?;
        units.push(unit);
        offset = start + length;
    }
    Ok(units)
}

/// An MP4 sample (4-byte length-prefixed NAL units) as Annex B with 4-byte start codes: the
/// bytes str0m's depacketiser gave for the access unit.
pub fn sample_to_annex_b(sample: &[u8]) -> Result<Vec<u8>, H264Error> {
    let mut out = Vec::with_capacity(sample.len());
    for unit in sample_nal_units(sample)? {
        out.extend_from_slice(&START_CODE);
        out.extend_from_slice(unit);
    }
    Ok(out)
}

/// The picture size an SPS NAL unit (header byte included) declares, cropping applied. Read
/// with `h264-reader`, which undoes emulation prevention and the exp-Golomb codes.
pub fn sps_dimensions(sps: &[u8]) -> Result<(u32, u32), H264Error> {
    parse_sps(sps)?
        .pixel_dimensions()
        .map_err(|e| H264Error::BadSps(format!("{e:?}")))
}

fn parse_sps(sps: &[u8]) -> Result<SeqParameterSet, H264Error> {
    let nal = RefNal::new(sps, &[], true);
    SeqParameterSet::from_bits(nal.rbsp_bits()).map_err(|e| H264Error::BadSps(format!("{e:?}")))
}

/// The `avcC` decoder configuration for an SPS and a PPS (NAL units, header byte included).
pub(crate) fn decoder_config(sps: &[u8], pps: &[u8]) -> Result<Avcc, H264Error> {
    let parsed = parse_sps(sps)?;
    let mut avcc = Avcc::new(sps, pps).map_err(|e| H264Error::BadSps(e.to_string()))?;
    // The High profiles' records carry the chroma format and bit depths too (ISO/IEC
    // 14496-15 §5.3.3.1.2).
    if !matches!(avcc.avc_profile_indication, 66 | 77 | 88) {
        let chroma = &parsed.chroma_info;
        avcc.ext = Some(AvccExt {
            chroma_format: match chroma.chroma_format {
                ChromaFormat::Monochrome => 0,
                ChromaFormat::YUV420 | ChromaFormat::Invalid(_) => 1,
                ChromaFormat::YUV422 => 2,
                ChromaFormat::YUV444 => 3,
            },
            bit_depth_luma: chroma.bit_depth_luma_minus8 + 8,
            bit_depth_chroma: chroma.bit_depth_chroma_minus8 + 8,
            sequence_parameter_sets_ext: Vec::new(),
        });
    }
    Ok(avcc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annex_b_round_trips_through_a_sample_with_nal_bytes_unchanged() {
        let au = [
            0, 0, 0, 1, 0x67, 1, 2, 0, 0, 3, 1, // SPS with an emulation prevention byte
            0, 0, 0, 1, 0x68, 9, // PPS
            0, 0, 1, 0x65, 7, 0, 0, 3, // IDR after a 3-byte start code, ending in 0x03
        ];
        let mut sample = Vec::new();
        let types = annex_b_to_sample(&au, &mut sample).unwrap();
        assert_eq!(types, vec![NAL_SPS, NAL_PPS, NAL_IDR_SLICE]);
        assert_eq!(&sample[..4], &7u32.to_be_bytes());
        let back = sample_to_annex_b(&sample).unwrap();
        // Same NAL units, each behind a 4-byte start code.
        let expected: Vec<u8> = [
            &[0, 0, 0, 1, 0x67, 1, 2, 0, 0, 3, 1][..],
            &[0, 0, 0, 1, 0x68, 9],
            &[0, 0, 0, 1, 0x65, 7, 0, 0, 3],
        ]
        .concat();
        assert_eq!(back, expected);
    }

    #[test]
    fn rejects_what_is_not_annex_b() {
        assert_eq!(
            annex_b_to_sample(&[0x65, 1, 2], &mut Vec::new()),
            Err(H264Error::NotAnnexB)
        );
        assert_eq!(
            annex_b_to_sample(&[9, 0, 0, 1, 0x65], &mut Vec::new()),
            Err(H264Error::NotAnnexB)
        );
        assert_eq!(
            annex_b_to_sample(&[0, 0, 0, 1, 0, 0, 1], &mut Vec::new()),
            Err(H264Error::EmptyAccessUnit)
        );
        assert_eq!(
            annex_b_to_sample(&[], &mut Vec::new()),
            Err(H264Error::NotAnnexB)
        );
    }

    #[test]
    fn a_cut_sample_is_an_error_not_a_panic() {
        let mut sample = Vec::new();
        annex_b_to_sample(&[0, 0, 0, 1, 0x41, 1, 2, 3], &mut sample).unwrap();
        for cut in 1..sample.len() {
            assert!(matches!(
                sample_to_annex_b(&sample[..cut]),
                Err(H264Error::TruncatedSample { offset: 0, .. })
            ));
        }
        assert!(sps_dimensions(&[0x67]).is_err());
    }
}
