//! What an SDP offer asks for, read before anything else so that the role matrix can refuse
//! it, and an offer with more media sections than a role needs is refused before str0m parses
//! it (each section costs a transceiver, and part of the answer: 280 short `m=video` lines,
//! well within the 32 KiB an offer may have, made a 206 KB answer).

use spotter_protocol::{Action, ErrorCode, ProtocolError, Role};

/// The most audio sections a listener may offer to hear the room's voices on, one talker each
/// (the page and the headset offer 3; one more is allowed for a client that offers 4).
pub const MAX_VOICE_SLOTS: usize = 4;

/// The media directions an offer asks for, from the offerer's side, and its sections by kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct OfferedMedia {
    pub sends_video: bool,
    pub receives_video: bool,
    pub sends_audio: bool,
    pub receives_audio: bool,
    pub sections: Sections,
}

/// How many media sections (`m=` lines) an offer has of each kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sections {
    pub video: usize,
    pub audio: usize,
    /// Data channels (`m=application`).
    pub application: usize,
    /// Any other kind (`text`, `message`, ...): Spotter has no use for them.
    pub other: usize,
}

impl OfferedMedia {
    pub fn read(sdp: &str) -> Self {
        let mut media = OfferedMedia::default();
        // The kind of the current media section and its direction (none seen: sendrecv).
        let mut section: Option<(&str, Option<&str>)> = None;
        for line in sdp.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("m=") {
                media.add(section);
                section = Some((rest.split(' ').next().unwrap_or(""), None));
            } else if let Some((_, direction)) = &mut section
                && let Some(d) = line.strip_prefix("a=")
                && matches!(d, "sendonly" | "recvonly" | "sendrecv" | "inactive")
            {
                *direction = Some(d);
            }
        }
        media.add(section);
        media
    }

    fn add(&mut self, section: Option<(&str, Option<&str>)>) {
        let Some((kind, direction)) = section else {
            return;
        };
        let direction = direction.unwrap_or("sendrecv");
        let sends = matches!(direction, "sendonly" | "sendrecv");
        let receives = matches!(direction, "recvonly" | "sendrecv");
        match kind {
            "video" => {
                self.sends_video |= sends;
                self.receives_video |= receives;
                self.sections.video += 1;
            }
            "audio" => {
                self.sends_audio |= sends;
                self.receives_audio |= receives;
                self.sections.audio += 1;
            }
            "application" => self.sections.application += 1,
            _ => self.sections.other += 1,
        }
    }

    /// Refuses an offer that asks for media the role may not send or receive, or that has more
    /// media sections than the role needs.
    pub fn check(&self, role: Role) -> Result<(), ProtocolError> {
        self.check_directions(role)?;
        self.sections.check(role)
    }

    fn check_directions(&self, role: Role) -> Result<(), ProtocolError> {
        let asks = [
            (self.sends_video, Action::Publish),
            (self.receives_video, Action::Subscribe),
            (self.sends_audio, Action::Talk),
            (self.receives_audio, Action::Listen),
        ];
        for (asked, action) in asks {
            if asked && !role.may(action) {
                return Err(ProtocolError::new(
                    ErrorCode::Forbidden,
                    format!("a {role} may not {action}"),
                ));
            }
        }
        Ok(())
    }
}

impl Sections {
    /// Refuses more sections than `role` needs: one video section (sent or received), one data
    /// channel section, and audio: one to talk plus a listener's voice slots.
    ///
    /// The code is `sdp_rejected`, not `limit_reached`: no Spotter client makes such an offer,
    /// and no setting or later retry would let it through; `limit_reached` is for the server's
    /// capacity (rooms, places, rates), which a client may run into in normal use.
    fn check(&self, role: Role) -> Result<(), ProtocolError> {
        let may = |action| usize::from(role.may(action));
        let video = may(Action::Publish).max(may(Action::Subscribe));
        let talk = may(Action::Talk);
        let listen = may(Action::Listen) * MAX_VOICE_SLOTS;
        let too_many = |what: String| Err(ProtocolError::new(ErrorCode::SdpRejected, what));
        if self.video > video {
            return too_many(format!(
                "an offer may have at most {video} video section; this one has {}",
                self.video
            ));
        }
        if self.audio > talk + listen {
            return too_many(format!(
                "an offer may have at most {} audio sections as {role} ({talk} to talk, {listen} to listen); this one has {}",
                talk + listen,
                self.audio
            ));
        }
        if self.application > 1 {
            return too_many(format!(
                "an offer may have at most 1 data channel (application) section; this one has {}",
                self.application
            ));
        }
        if self.other > 0 {
            return too_many(format!(
                "an offer may have only video, audio and application sections; this one has {} of other kinds",
                self.other
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_kind_and_direction() {
        let subscriber = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
        assert_eq!(
            OfferedMedia::read(subscriber),
            OfferedMedia {
                receives_video: true,
                sections: Sections {
                    video: 1,
                    application: 1,
                    ..Default::default()
                },
                ..Default::default()
            }
        );
        let headset = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendonly\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\n";
        assert_eq!(
            OfferedMedia::read(headset),
            OfferedMedia {
                sends_video: true,
                sends_audio: true,
                receives_audio: true,
                sections: Sections {
                    video: 1,
                    audio: 1,
                    ..Default::default()
                },
                ..Default::default()
            },
            "no direction means sendrecv"
        );
        let data_only = "v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
        let data_only = OfferedMedia::read(data_only);
        assert!(!data_only.sends_video && !data_only.receives_video && !data_only.sends_audio);
        assert_eq!(data_only.sections.application, 1);
        let inactive =
            OfferedMedia::read("v=0\r\nm=video 9 x 96\r\na=inactive\r\nm=text 9 x 0\r\n");
        assert!(!inactive.sends_video && !inactive.receives_video);
        assert_eq!((inactive.sections.video, inactive.sections.other), (1, 1));
    }

    #[test]
    fn each_role_may_ask_only_for_its_media() {
        let publishing = OfferedMedia {
            sends_video: true,
            ..Default::default()
        };
        assert!(publishing.check(Role::Technician).is_ok());
        assert_eq!(
            publishing.check(Role::Expert).unwrap_err().code,
            ErrorCode::Forbidden
        );
        let talking = OfferedMedia {
            sends_audio: true,
            receives_audio: true,
            receives_video: true,
            ..Default::default()
        };
        assert!(talking.check(Role::Expert).is_ok());
        assert!(talking.check(Role::Observer).is_err());
        let watching = OfferedMedia {
            receives_video: true,
            receives_audio: true,
            ..Default::default()
        };
        assert!(watching.check(Role::Observer).is_ok());
        assert!(watching.check(Role::Technician).is_err());
    }

    /// An offer with `video` video sections, `audio` audio ones and `data` data channel ones,
    /// all received (as a viewer's are) but the first audio section, which sends.
    fn offer(video: usize, audio: usize, data: usize) -> String {
        let mut sdp = String::from("v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n");
        for i in 0..video {
            sdp += &format!("m=video 9 UDP/TLS/RTP/SAVPF 102\r\na=mid:v{i}\r\na=recvonly\r\n");
        }
        for i in 0..audio {
            let direction = if i == 0 { "sendonly" } else { "recvonly" };
            sdp += &format!("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:a{i}\r\na={direction}\r\n");
        }
        for i in 0..data {
            sdp += &format!("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:d{i}\r\n");
        }
        sdp
    }

    fn refusal(sdp: &str, role: Role) -> Option<ProtocolError> {
        OfferedMedia::read(sdp).check(role).err()
    }

    /// The message an offer of too many sections is refused with (as `sdp_rejected`).
    fn too_many(sdp: &str, role: Role) -> String {
        let refusal = refusal(sdp, role).expect("refused");
        assert_eq!(refusal.code, ErrorCode::SdpRejected, "{}", refusal.message);
        refusal.message
    }

    #[test]
    fn the_largest_offer_a_role_needs_passes() {
        // The page of an expert: video, its microphone, 4 voice slots, the frames channel.
        assert!(refusal(&offer(1, 1 + MAX_VOICE_SLOTS, 1), Role::Expert).is_none());
        // An observer's page: the same but the microphone.
        let observer = offer(1, MAX_VOICE_SLOTS, 1).replacen("a=sendonly", "a=recvonly", 1);
        assert!(refusal(&observer, Role::Observer).is_none());
    }

    #[test]
    fn more_sections_than_a_role_needs_are_refused_with_what_the_limit_is() {
        assert_eq!(
            too_many(&offer(280, 0, 1), Role::Expert),
            "an offer may have at most 1 video section; this one has 280"
        );
        assert_eq!(
            too_many(&offer(1, 2 + MAX_VOICE_SLOTS, 1), Role::Expert),
            "an offer may have at most 5 audio sections as expert (1 to talk, 4 to listen); this one has 6"
        );
        // An observer may not talk, so one section fewer; inactive sections count too.
        let inactive = offer(1, 0, 1)
            + &"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=inactive\r\n".repeat(MAX_VOICE_SLOTS + 1);
        assert_eq!(
            too_many(&inactive, Role::Observer),
            "an offer may have at most 4 audio sections as observer (0 to talk, 4 to listen); this one has 5"
        );
        assert_eq!(
            too_many(&offer(1, 0, 2), Role::Expert),
            "an offer may have at most 1 data channel (application) section; this one has 2"
        );
        let text = offer(1, 0, 1) + "m=text 9 TCP/MSRP *\r\n";
        assert_eq!(
            too_many(&text, Role::Expert),
            "an offer may have only video, audio and application sections; this one has 1 of other kinds"
        );
    }

    #[test]
    fn a_forbidden_direction_is_named_before_the_section_count() {
        let publishing = offer(2, 0, 0).replace("a=recvonly", "a=sendonly");
        assert_eq!(
            refusal(&publishing, Role::Expert).unwrap().code,
            ErrorCode::Forbidden
        );
    }
}
