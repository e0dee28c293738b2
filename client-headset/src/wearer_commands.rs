//! The wearer's commands on standard input, one a line: what a voice command would send. In XR
//! mode the controller buttons send the first three kinds too.

use crate::microphone_mute::MuteRequest;
use crate::recording::RecordingRequest;

/// Every command, for the message that answers an unknown one.
pub const COMMANDS: &str = "record, stop, toggle, mute, unmute, ack, eyes";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WearerCommand {
    /// `record`, `stop`, `toggle`: the room's recording.
    Recording(RecordingRequest),
    /// `mute`, `unmute`: the wearer's microphone.
    Mute(MuteRequest),
    /// `ack`: the newest mark is seen.
    Acknowledge,
    /// `eyes`: write what each eye shows now (`--eye-pictures DIR`, XR mode).
    EyePictures,
}

impl WearerCommand {
    /// The command on `line`; `Ok(None)` for a blank line, the error names every command.
    pub fn parse(line: &str) -> Result<Option<Self>, String> {
        let word = line.trim();
        if word.is_empty() {
            return Ok(None);
        }
        if let Some(mute) = MuteRequest::parse(word) {
            return Ok(Some(Self::Mute(mute)));
        }
        if let Ok(recording) = RecordingRequest::parse(word) {
            return Ok(Some(Self::Recording(recording)));
        }
        match word {
            "ack" => Ok(Some(Self::Acknowledge)),
            "eyes" => Ok(Some(Self::EyePictures)),
            other => Err(format!("unknown command '{other}' (commands: {COMMANDS})")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_word_is_its_command_and_a_blank_line_none() {
        for (line, command) in [
            (
                "record\n",
                WearerCommand::Recording(RecordingRequest::Start),
            ),
            (" stop", WearerCommand::Recording(RecordingRequest::Stop)),
            ("toggle", WearerCommand::Recording(RecordingRequest::Toggle)),
            ("mute", WearerCommand::Mute(MuteRequest::Mute)),
            ("unmute", WearerCommand::Mute(MuteRequest::Unmute)),
            ("ack", WearerCommand::Acknowledge),
            ("eyes\n", WearerCommand::EyePictures),
        ] {
            assert_eq!(WearerCommand::parse(line), Ok(Some(command)), "{line:?}");
        }
        assert_eq!(WearerCommand::parse("  \n"), Ok(None));
    }

    #[test]
    fn an_unknown_word_is_refused_with_the_list_of_commands() {
        let refused = WearerCommand::parse("eye").unwrap_err();
        assert!(refused.contains("'eye'"), "{refused}");
        assert!(refused.contains(COMMANDS), "{refused}");
    }
}
