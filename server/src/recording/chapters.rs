//! Bookmarks as WebVTT chapters (W3C WebVTT: a header, then one cue per chapter). A few lines
//! of text, written here: no crate is needed to print them.

use spotter_protocol::Bookmark;

/// Longest note a bookmark may carry.
pub const MAX_NOTE_CHARS: usize = 500;

/// Why `note` cannot be a bookmark's note, if it cannot: 1–500 characters, no control or
/// invisible formatting characters (a line break would end the cue), no `-->` (WebVTT's
/// timing arrow).
pub fn check_note(note: &str) -> Result<(), String> {
    spotter_protocol::check_text(note, MAX_NOTE_CHARS, "a note")?;
    if note.contains("-->") {
        return Err("a note may not contain \"-->\"".into());
    }
    Ok(())
}

/// The chapters of a recording `duration_ms` long: each bookmark until the next (or the end).
pub fn webvtt(bookmarks: &[Bookmark], duration_ms: u64) -> String {
    let mut sorted: Vec<&Bookmark> = bookmarks.iter().collect();
    sorted.sort_by_key(|b| (b.media_time_ms, b.bookmark_id));
    let mut out = String::from("WEBVTT\n");
    for (i, bookmark) in sorted.iter().enumerate() {
        let end = sorted
            .get(i + 1)
            .map_or(duration_ms, |next| next.media_time_ms)
            .max(bookmark.media_time_ms + 1);
        out += &format!(
            "\n{}\n{} --> {}\n{}\n",
            i + 1,
            timestamp(bookmark.media_time_ms),
            timestamp(end),
            bookmark.note.trim()
        );
    }
    out
}

fn timestamp(ms: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bookmark(id: u64, at: u64, note: &str) -> Bookmark {
        Bookmark {
            bookmark_id: id,
            media_time_ms: at,
            note: note.into(),
            by: "Tina".into(),
            created_at_ms: 0,
        }
    }

    #[test]
    fn chapters_run_from_each_bookmark_to_the_next_in_time_order() {
        let vtt = webvtt(
            &[
                bookmark(1, 65_250, "Valve V-2"),
                bookmark(2, 5_000, "Opening the panel"),
            ],
            3_723_004,
        );
        assert_eq!(
            vtt,
            "WEBVTT\n\n1\n00:00:05.000 --> 00:01:05.250\nOpening the panel\n\n2\n00:01:05.250 --> 01:02:03.004\nValve V-2\n"
        );
    }

    #[test]
    fn notes_that_would_break_a_cue_are_refused() {
        assert!(check_note("Pressure gauge, left side").is_ok());
        for bad in [
            "",
            "   ",
            "a\nb",
            "go --> here",
            "\u{202e}evil",
            &"x".repeat(501),
        ] {
            assert!(check_note(bad).is_err(), "{bad:?}");
        }
    }
}
