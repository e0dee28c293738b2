use super::voice::recorded_voice;
use super::*;
use crate::fmp4::{ScanError, scan_bytes};

/// Cut at every `step`th byte and around every fragment boundary: never a panic, always
/// exactly the complete fragments before the cut.
fn assert_cuts_give_the_complete_prefix(file: &[u8], step: usize) {
    let whole = scan_bytes(file).unwrap();
    assert_eq!(whole.trailing_bytes, 0);
    let boundaries = whole.fragments.iter().flat_map(|f| {
        let end = (f.offset + f.len) as usize;
        [end - 1, end, end + 1, f.offset as usize + 9]
    });
    let cuts = (0..file.len()).step_by(step).chain(boundaries);
    for cut in cuts.filter(|&c| c <= file.len()) {
        match scan_bytes(&file[..cut]) {
            Err(ScanError::IncompleteInit { len }) => {
                assert_eq!(len, cut as u64);
                assert!(cut < whole.init.end as usize, "cut at {cut}");
            }
            Ok(cut_file) => {
                assert_eq!(cut_file.init, whole.init);
                let expected: Vec<_> = whole
                    .fragments
                    .iter()
                    .filter(|f| f.offset + f.len <= cut as u64)
                    .cloned()
                    .collect();
                assert_eq!(cut_file.fragments, expected, "cut at {cut}");
                let covered = expected.last().map_or(whole.init.end, |f| f.offset + f.len);
                assert_eq!(cut_file.trailing_bytes, cut as u64 - covered);
            }
            Err(other) => panic!("cut at {cut}: {other}"),
        }
    }
}

#[test]
fn a_cut_file_gives_its_complete_fragments() {
    assert_cuts_give_the_complete_prefix(&recorded_video().file, 97);
    assert_cuts_give_the_complete_prefix(&recorded_voice().0, 13);
}

#[test]
fn a_damaged_box_is_an_error_that_says_where() {
    let video = recorded_video();
    let whole = scan_bytes(&video.file).unwrap();
    let third = whole.fragments[2].offset as usize;

    let mut bad_type = video.file.clone();
    bad_type[third + 4..third + 8].copy_from_slice(&[0, 0xff, 7, 1]);
    assert!(matches!(
        scan_bytes(&bad_type),
        Err(ScanError::BadBoxType { offset, .. }) if offset == third as u64
    ));

    let mut bad_size = video.file.clone();
    bad_size[third..third + 4].copy_from_slice(&3u32.to_be_bytes());
    assert!(matches!(
        scan_bytes(&bad_size),
        Err(ScanError::BadBoxSize { offset, size: 3, .. }) if offset == third as u64
    ));

    // The moof's first child (mfhd) renamed: the moof no longer decodes.
    let mut bad_moof = video.file.clone();
    bad_moof[third + 12..third + 16].copy_from_slice(b"xxxx");
    let err = scan_bytes(&bad_moof).unwrap_err();
    assert!(
        matches!(err, ScanError::BadBox { offset, kind: "moof", .. } if offset == third as u64),
        "{err}"
    );
    assert!(err.to_string().contains(&format!("byte {third}")));

    // An mdat renamed: what follows a moof must be its samples.
    let mdat =
        third + u32::from_be_bytes(video.file[third..third + 4].try_into().unwrap()) as usize;
    let mut no_mdat = video.file.clone();
    no_mdat[mdat + 4..mdat + 8].copy_from_slice(b"free");
    assert!(matches!(
        scan_bytes(&no_mdat),
        Err(ScanError::UnexpectedBox { offset, .. }) if offset == mdat as u64
    ));

    assert!(matches!(
        scan_bytes(b"\0\0\0\x10moovxxxxxxxx"),
        Err(ScanError::UnexpectedBox { offset: 0, .. })
    ));
}

#[test]
fn random_damage_never_panics() {
    let video = &recorded_video().file;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut random = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..400 {
        let mut damaged = video.clone();
        for _ in 0..1 + random() % 4 {
            let at = (random() % damaged.len() as u64) as usize;
            damaged[at] = random() as u8;
        }
        // Any answer but a panic will do; a good scan still reads its samples.
        if let Ok(file) = scan_bytes(&damaged) {
            for fragment in &file.fragments {
                let _ = crate::fmp4::read_fragment_samples(
                    &mut std::io::Cursor::new(&damaged),
                    &file,
                    fragment,
                );
            }
        }
    }
}
