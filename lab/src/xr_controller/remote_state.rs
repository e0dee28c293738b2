//! The state Monado's `remote` driver exchanges over TCP: one fixed-size little-endian record
//! holding the head and both controllers (`struct r_remote_data` in Monado 25). The hub sends
//! two on connect (the reset state, then the current one) and afterwards takes every record it
//! reads as the devices' new state. Only what the tool changes or checks is named here; the
//! rest of a record is sent back as the hub sent it.

/// The size of one record (Monado 25.0.0 reads this many bytes at a time).
pub const RECORD_LEN: usize = 376;
/// The record's first eight bytes: the wire format's name and version. Monado 25's hub sends
/// them zeroed (it checks none); a peer sends them set.
pub const HEADER: &[u8; 8] = b"mndrmt3\0";

/// The head's pose in the record (a quaternion x y z w, then a position x y z), and where the
/// reset state puts it: upright, 1.6 m above the floor.
const HEAD_POSE: usize = 8 + 96;
const RESET_HEAD_HEIGHT: f32 = 1.6;

const LEFT_CONTROLLER: usize = 136;
const RIGHT_CONTROLLER: usize = 256;
const CONTROLLER_LEN: usize = 120;
const CONTROLLER_ACTIVE: usize = 105;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Hand {
    Left,
    Right,
}

/// The buttons the remote controllers (Valve Index controllers) have, each a `bool` click in
/// the controller's part of the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Button {
    System,
    A,
    B,
    Trigger,
    Thumbstick,
}

impl Button {
    fn offset(self) -> usize {
        match self {
            Button::System => 106,
            Button::A => 108,
            Button::B => 110,
            Button::Trigger => 112,
            Button::Thumbstick => 114,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RecordError {
    #[error(
        "the runtime speaks remote-driver format {found:?}, this tool {:?}: its controllers cannot be driven",
        String::from_utf8_lossy(&HEADER[..7])
    )]
    Version { found: String },
    #[error(
        "the runtime's reset state is not laid out as Monado 25's (its head reads {head:?}, \
         its controllers' active flags {active:?}): its controllers cannot be driven"
    )]
    Layout { head: [f32; 7], active: [u8; 2] },
}

/// One record, kept whole so that what is not changed goes back unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteState([u8; RECORD_LEN]);

impl RemoteState {
    pub fn parse(record: [u8; RECORD_LEN]) -> Result<Self, RecordError> {
        if record[..8] != [0; 8] && &record[..8] != HEADER {
            let name = record[..8].split(|b| *b == 0).next().unwrap_or_default();
            return Err(RecordError::Version {
                found: String::from_utf8_lossy(name).into_owned(),
            });
        }
        Ok(Self(record))
    }

    /// The record to send: this state, with the format's name.
    pub fn bytes(&self) -> [u8; RECORD_LEN] {
        let mut bytes = self.0;
        bytes[..8].copy_from_slice(HEADER);
        bytes
    }

    /// Checks that `self`, the hub's reset state, reads as Monado 25 lays it out: the head
    /// upright at 1.6 m and both controllers on. Another layout would have the tool press
    /// whatever byte lies where a button was.
    pub fn check_reset_layout(&self) -> Result<(), RecordError> {
        let head: [f32; 7] = std::array::from_fn(|i| {
            let at = HEAD_POSE + 4 * i;
            f32::from_le_bytes(self.0[at..at + 4].try_into().expect("four bytes"))
        });
        let active = [
            self.0[LEFT_CONTROLLER + CONTROLLER_ACTIVE],
            self.0[RIGHT_CONTROLLER + CONTROLLER_ACTIVE],
        ];
        let upright = head[..3].iter().all(|c| c.abs() < 1e-4) && (head[3] - 1.0).abs() < 1e-4;
        let height = (head[5] - RESET_HEAD_HEIGHT).abs() < 1e-3;
        if upright && height && active == [1, 1] {
            Ok(())
        } else {
            Err(RecordError::Layout { head, active })
        }
    }

    fn controller(&mut self, hand: Hand) -> &mut [u8] {
        let start = match hand {
            Hand::Left => LEFT_CONTROLLER,
            Hand::Right => RIGHT_CONTROLLER,
        };
        &mut self.0[start..start + CONTROLLER_LEN]
    }

    /// Holds or releases a button, and keeps the controller switched on (an inactive
    /// controller's buttons are not read).
    pub fn set_button(&mut self, hand: Hand, button: Button, down: bool) {
        let controller = self.controller(hand);
        controller[CONTROLLER_ACTIVE] = 1;
        controller[button.offset()] = u8::from(down);
    }

    #[cfg(test)]
    pub fn button(&self, hand: Hand, button: Button) -> bool {
        let start = match hand {
            Hand::Left => LEFT_CONTROLLER,
            Hand::Right => RIGHT_CONTROLLER,
        };
        self.0[start + button.offset()] != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reset state as Monado 25's hub sends it: no name, the head upright at 1.6 m, both
    /// controllers on.
    fn record() -> [u8; RECORD_LEN] {
        let mut bytes = [0; RECORD_LEN];
        bytes[HEAD_POSE + 12..HEAD_POSE + 16].copy_from_slice(&1f32.to_le_bytes());
        bytes[HEAD_POSE + 20..HEAD_POSE + 24].copy_from_slice(&1.6f32.to_le_bytes());
        bytes[LEFT_CONTROLLER + CONTROLLER_ACTIVE] = 1;
        bytes[RIGHT_CONTROLLER + CONTROLLER_ACTIVE] = 1;
        bytes
    }

    #[test]
    fn a_press_sets_only_that_hands_button_and_keeps_the_rest() {
        let mut sent = record();
        sent[20] = 0x3f; // a byte of the head's views, which must come back as it was
        let mut state = RemoteState::parse(sent).unwrap();
        state.check_reset_layout().unwrap();
        state.set_button(Hand::Left, Button::A, true);
        assert!(state.button(Hand::Left, Button::A));
        assert!(!state.button(Hand::Right, Button::A));
        assert!(!state.button(Hand::Left, Button::B));
        let bytes = state.bytes();
        assert_eq!(&bytes[..8], HEADER, "sent with the format's name");
        let changed: Vec<usize> = (8..RECORD_LEN).filter(|&i| bytes[i] != sent[i]).collect();
        assert_eq!(changed, [136 + 108], "a_click only");
        state.set_button(Hand::Left, Button::A, false);
        assert!(!state.button(Hand::Left, Button::A));
    }

    #[test]
    fn the_right_hand_is_the_second_controller() {
        let mut state = RemoteState::parse(record()).unwrap();
        state.set_button(Hand::Right, Button::Trigger, true);
        assert_eq!(state.bytes()[256 + 112], 1);
    }

    #[test]
    fn a_reset_state_laid_out_otherwise_is_refused_before_any_press() {
        let mut shifted = record();
        shifted.rotate_right(4); // a field added before the head
        let e = RemoteState::parse(shifted)
            .unwrap()
            .check_reset_layout()
            .unwrap_err();
        assert!(matches!(e, RecordError::Layout { .. }), "{e}");
        assert!(e.to_string().contains("not laid out as Monado 25's"), "{e}");
        let mut off = record();
        off[RIGHT_CONTROLLER + CONTROLLER_ACTIVE] = 0;
        assert!(
            RemoteState::parse(off)
                .unwrap()
                .check_reset_layout()
                .is_err()
        );
    }

    #[test]
    fn another_format_is_refused_with_what_was_found() {
        let mut other = record();
        other[..8].copy_from_slice(b"mndrmt4\0");
        let e = RemoteState::parse(other).unwrap_err();
        assert_eq!(
            e,
            RecordError::Version {
                found: "mndrmt4".into()
            }
        );
        assert!(e.to_string().contains("\"mndrmt4\""), "{e}");
    }
}
