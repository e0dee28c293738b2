//! What an SDP offer asks for, read before anything else so the role matrix can refuse it.

use spotter_protocol::{Action, ErrorCode, ProtocolError, Role};

/// The media directions an offer asks for, from the offerer's side.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct OfferedMedia {
    pub sends_video: bool,
    pub receives_video: bool,
    pub sends_audio: bool,
    pub receives_audio: bool,
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
            }
            "audio" => {
                self.sends_audio |= sends;
                self.receives_audio |= receives;
            }
            _ => {}
        }
    }

    /// Refuses an offer that asks for media the role may not send or receive.
    pub fn check(&self, role: Role) -> Result<(), ProtocolError> {
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
                ..Default::default()
            },
            "no direction means sendrecv"
        );
        let data_only = "v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
        assert_eq!(OfferedMedia::read(data_only), OfferedMedia::default());
        let inactive = "v=0\r\nm=video 9 x 96\r\na=inactive\r\n";
        assert_eq!(OfferedMedia::read(inactive), OfferedMedia::default());
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
}
