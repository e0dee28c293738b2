//! Frame records from the headset's `frames` channel, as the SFU checks them before relaying:
//! parsing never panics, and an accepted record is valid and round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spotter_protocol::FrameMeta;

fuzz_target!(|data: &[u8]| {
    if let Ok(meta) = FrameMeta::parse(data) {
        assert!(meta.is_valid());
        let json = serde_json::to_vec(&meta).expect("accepted records serialise");
        assert_eq!(FrameMeta::parse(&json).expect("parses again"), meta);
    }
});
