//! Names that could pass for someone else's, or for nobody, are refused: invisible formatting
//! characters (Unicode category Cf: bidirectional overrides, zero-width spaces) included.

mod common;

use common::next_message;
use spotter_peer::JoinRefused;
use spotter_protocol::{ClientMessage, EquipmentInfo, ErrorCode, Role, ServerMessage};

#[tokio::test]
async fn joining_with_an_invisible_or_reversing_character_is_refused_with_its_code_point() {
    let server = common::start().await;
    for (name, code_point) in [
        ("Ana\u{202E}nimda", "U+202E"),
        ("\u{200B}", "U+200B"),
        ("Ben\u{2066}", "U+2066"),
    ] {
        let mut client = server.connect().await;
        let refused = client
            .join("demo", &server.token("demo", Role::Expert), name)
            .await
            .unwrap_err()
            .downcast::<JoinRefused>()
            .unwrap();
        assert_eq!(refused.code, ErrorCode::InvalidValue);
        assert!(
            refused.message.contains("invisible formatting characters"),
            "{}",
            refused.message
        );
        assert!(refused.message.contains(code_point), "{}", refused.message);
    }
    // Letters of any script are names.
    let mut client = server.connect().await;
    client
        .join(
            "demo",
            &server.token("demo", Role::Expert),
            "Zoë Ødegård 李",
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn invites_and_equipment_names_are_held_to_the_same_rule() {
    let server = common::start().await;
    let (status, body) = server
        .request(
            "POST",
            "/api/admin/rooms/demo/invites",
            Some(common::ADMIN_KEY),
            Some(&serde_json::json!({ "role": "expert", "name": "Admin\u{200F}" })),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("U+200F"),
        "{body}"
    );

    let (mut technician, _) = server.join(Role::Technician, "Tom").await;
    technician
        .send(&ClientMessage::Equipment {
            items: vec![EquipmentInfo {
                id: "pump-1".into(),
                name: "Pump\u{202D}".into(),
            }],
        })
        .unwrap();
    match next_message(&mut technician).await {
        ServerMessage::Error { code, message, .. } => {
            assert_eq!(code, ErrorCode::InvalidValue);
            assert!(
                message.contains("equipment pump-1") && message.contains("U+202D"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
}
