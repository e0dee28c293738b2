//! Signaling messages, annotations included, as any client may send them: parsing never
//! panics, and whatever is accepted survives a JSON round trip unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spotter_protocol::ClientMessage;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(message) = ClientMessage::parse(text) {
        let json = serde_json::to_string(&message).expect("accepted messages serialise");
        let again = ClientMessage::parse(&json).expect("a serialised message parses again");
        assert_eq!(again, message);
    }
});
