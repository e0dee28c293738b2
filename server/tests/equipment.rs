//! The headset's equipment list: kept per room, sent to everyone, refused from other roles.

mod common;

use common::{next_error_code, next_message};
use spotter_protocol::{ClientMessage, EquipmentInfo, Role, ServerMessage};

fn items() -> Vec<EquipmentInfo> {
    vec![
        EquipmentInfo {
            id: "pump-1".into(),
            name: "Feed pump P-101".into(),
        },
        EquipmentInfo {
            id: "panel-1".into(),
            name: "Control panel CP-3".into(),
        },
    ]
}

#[tokio::test]
async fn the_headsets_equipment_reaches_experts_late_joiners_and_the_api() {
    let server = common::start().await;
    let (mut expert, _) = server.join(Role::Expert, "Ana").await;
    let (technician, _) = server.join(Role::Technician, "Tom").await;
    technician
        .send(&ClientMessage::Equipment { items: items() })
        .unwrap();
    match next_message(&mut expert).await {
        ServerMessage::EquipmentUpdated { items: got } => assert_eq!(got, items()),
        other => panic!("{other:?}"),
    }
    let mut late = server.connect().await;
    let joined = late
        .join("demo", &server.token("demo", Role::Expert), "Ben")
        .await
        .unwrap();
    assert_eq!(joined.snapshot.equipment, items());
    let (_, room) = server.get("/api/rooms/demo").await;
    assert_eq!(room["equipment"][1]["name"], "Control panel CP-3");

    // The room keeps the names when the headset leaves.
    drop(technician);
    let (_, room) = server.get("/api/rooms/demo").await;
    assert_eq!(room["equipment"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn only_the_technician_reports_equipment_and_names_are_checked() {
    let server = common::start().await;
    let (mut expert, _) = server.join(Role::Expert, "Ana").await;
    expert
        .send(&ClientMessage::Equipment { items: items() })
        .unwrap();
    assert_eq!(next_error_code(&mut expert).await, "forbidden");

    let (mut technician, _) = server.join(Role::Technician, "Tom").await;
    let mut bad = items();
    bad[0].name = "\u{7}".into();
    technician
        .send(&ClientMessage::Equipment { items: bad })
        .unwrap();
    assert_eq!(next_error_code(&mut technician).await, "invalid_value");
}
