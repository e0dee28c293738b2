//! The wearer mutes and unmutes their microphone: on standard input (`mute`, `unmute`) or with
//! a controller button (`xr::actions`). The session sends silence in place of their voice and
//! tells the room, which shows them muted; a new join says it again.

/// What the wearer asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MuteRequest {
    Mute,
    Unmute,
    /// Mute when talking, unmute when muted (one controller button).
    Toggle,
}

impl MuteRequest {
    /// The standard-input command: `mute` or `unmute`; `None` for any other line.
    pub fn parse(line: &str) -> Option<Self> {
        match line.trim() {
            "mute" => Some(Self::Mute),
            "unmute" => Some(Self::Unmute),
            _ => None,
        }
    }

    /// Whether the microphone is muted after this request, when it was `muted`.
    pub fn apply(self, muted: bool) -> bool {
        match self {
            Self::Mute => true,
            Self::Unmute => false,
            Self::Toggle => !muted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mute_unmute_and_toggle_set_the_microphone() {
        assert_eq!(MuteRequest::parse(" mute\n"), Some(MuteRequest::Mute));
        assert_eq!(MuteRequest::parse("unmute"), Some(MuteRequest::Unmute));
        assert_eq!(MuteRequest::parse("mutes"), None);
        for muted in [false, true] {
            assert!(MuteRequest::Mute.apply(muted));
            assert!(!MuteRequest::Unmute.apply(muted));
            assert_eq!(MuteRequest::Toggle.apply(muted), !muted);
        }
    }
}
