//! JSON round trips and the rejection of malformed or out-of-range client input.

use glam::{Quat, Vec2, Vec3};
use spotter_protocol::*;

fn arrow_request() -> AnnotationRequest {
    AnnotationRequest {
        kind: AnnotationKind::Arrow,
        frame_rtp_timestamp: 3_000_000_000,
        points: vec![Vec2::new(0.2, 0.3), Vec2::new(0.5, 0.55)],
        color: "#ff2d95".into(),
    }
}

fn annotation() -> Annotation {
    Annotation {
        id: "a-1".into(),
        kind: AnnotationKind::Arrow,
        author: "p-2".into(),
        color: "#ff2d95".into(),
        anchor: Anchor::Equipment {
            equipment_id: "pump-1".into(),
            pose: Pose::new(Vec3::new(-1.5, 0.0, 0.0), Quat::from_rotation_y(0.3)),
        },
        points: vec![Vec3::new(0.1, 0.9, 0.4), Vec3::new(0.0, 0.5, 0.35)],
        frame_rtp_timestamp: 123,
        surface: SurfaceQuality::Estimate,
        acknowledged_by: None,
    }
}

#[test]
fn every_client_message_survives_a_json_round_trip() {
    let messages = vec![
        ClientMessage::Join {
            room: "demo".into(),
            token: "header.claims.signature".into(),
            name: "Ana".into(),
            resume: Some("0123abcd".into()),
        },
        ClientMessage::Offer {
            sdp: "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n".into(),
        },
        ClientMessage::Annotate {
            client_ref: 7,
            request: arrow_request(),
        },
        ClientMessage::DeleteAnnotation {
            annotation_id: "a-1".into(),
        },
        ClientMessage::Equipment {
            items: vec![EquipmentInfo {
                id: "pump-1".into(),
                name: "Feed pump P-101".into(),
            }],
        },
        ClientMessage::Resolved {
            annotation: annotation(),
        },
        ClientMessage::ResolveFailed {
            annotation_id: "a-1".into(),
            code: ErrorCode::NoSurface,
            message: "nothing under that point".into(),
        },
        ClientMessage::StartRecording,
        ClientMessage::StopRecording,
    ];
    for message in messages {
        let json = serde_json::to_string(&message).unwrap();
        assert_eq!(ClientMessage::parse(&json).unwrap(), message, "{json}");
    }
}

#[test]
fn server_messages_round_trip_and_use_the_documented_shape() {
    let message = ServerMessage::AnnotationAdded {
        annotation: annotation(),
    };
    let json = message.to_json();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["type"], "annotation_added");
    assert_eq!(value["annotation"]["anchor"]["type"], "equipment");
    assert_eq!(value["annotation"]["anchor"]["equipment_id"], "pump-1");
    assert_eq!(value["annotation"]["points"][1][1], 0.5);
    let back: ServerMessage = serde_json::from_str(&json).unwrap();
    assert_eq!(back, message);

    let err = ServerMessage::error(ProtocolError::new(ErrorCode::FrameGone, "old"));
    let value: serde_json::Value = serde_json::from_str(&err.to_json()).unwrap();
    assert_eq!(value["code"], "frame_gone");
}

#[test]
fn journal_events_round_trip_in_their_documented_shape() {
    let event = JournalEvent {
        seq: 7,
        at_ms: 1_790_000_000_123,
        change: RoomChange::RecordingStopped {
            recording_id: RecordingId::fresh(0xabc),
            by: None,
            reason: Some("the disk is full".into()),
        },
    };
    let json = serde_json::to_string(&event).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["change"]["kind"], "recording_stopped");
    assert_eq!(value["change"]["recording_id"], "r-0000000000000abc");
    assert_eq!(serde_json::from_str::<JournalEvent>(&json).unwrap(), event);
    assert!(RecordingId::is_well_formed("r-0000000000000abc"));
    for bad in [
        "r-abc",
        "0000000000000abc",
        "r-000000000000zabc",
        "r-../../etc/passw",
    ] {
        assert!(!RecordingId::is_well_formed(bad), "{bad}");
    }
}

#[test]
fn frame_metadata_round_trips() {
    let meta = FrameMeta {
        rtp_timestamp: u32::MAX,
        pose: Pose::looking_at(Vec3::new(0.0, 1.6, 4.0), Vec3::ZERO),
        intrinsics: Intrinsics::from_vertical_fov(1.0, 640, 360),
        capture_time_us: 1_790_000_000_000_000,
    };
    let json = serde_json::to_string(&meta).unwrap();
    assert_eq!(FrameMeta::parse(json.as_bytes()).unwrap(), meta);
    assert!(meta.is_valid());
}

#[test]
fn bad_frame_records_are_refused_with_specific_codes() {
    let code = |bytes: &[u8]| FrameMeta::parse(bytes).unwrap_err().code;
    assert_eq!(code(b"{"), ErrorCode::MalformedMessage);
    assert_eq!(
        code(&[b' '; MAX_FRAME_META_BYTES + 1]),
        ErrorCode::MessageTooLarge
    );
    let mut meta = serde_json::to_value(FrameMeta {
        rtp_timestamp: 1,
        pose: Pose::IDENTITY,
        intrinsics: Intrinsics::from_vertical_fov(1.0, 640, 360),
        capture_time_us: 1,
    })
    .unwrap();
    meta["pose"]["rotation"] = serde_json::json!([0.0, 0.0, 0.0, 2.0]);
    assert_eq!(code(meta.to_string().as_bytes()), ErrorCode::InvalidValue);
}

fn code_of(text: &str) -> ErrorCode {
    ClientMessage::parse(text).expect_err(text).code
}

#[test]
fn malformed_messages_are_rejected_with_specific_codes() {
    assert_eq!(code_of("not json"), ErrorCode::MalformedMessage);
    assert_eq!(code_of(r#"{"type":"fly"}"#), ErrorCode::MalformedMessage);
    assert_eq!(
        code_of(r#"{"type":"join","room":"demo"}"#),
        ErrorCode::MalformedMessage
    );
    assert_eq!(
        code_of(r#"{"type":"join","room":"demo","role":"admin","name":"x"}"#),
        ErrorCode::MalformedMessage
    );
    let huge = format!(
        r#"{{"type":"offer","sdp":"{}"}}"#,
        "a".repeat(MAX_MESSAGE_BYTES)
    );
    assert_eq!(code_of(&huge), ErrorCode::MessageTooLarge);
    let err = ClientMessage::parse(r#"{"type":"join","room":"demo"}"#).unwrap_err();
    assert!(
        err.message.contains("token"),
        "names the missing field: {}",
        err.message
    );
}

#[test]
fn out_of_range_values_are_rejected() {
    let with = |f: &dyn Fn(&mut AnnotationRequest)| {
        let mut request = arrow_request();
        f(&mut request);
        let json = serde_json::to_string(&ClientMessage::Annotate {
            client_ref: 1,
            request,
        })
        .unwrap();
        code_of(&json)
    };
    assert_eq!(with(&|r| r.points[0].x = 1.5), ErrorCode::InvalidValue);
    assert_eq!(
        with(&|r| r.points.pop().map(drop).unwrap()),
        ErrorCode::InvalidValue
    );
    assert_eq!(with(&|r| r.color = "red".into()), ErrorCode::InvalidValue);
    assert_eq!(
        code_of(r#"{"type":"join","room":"../etc","token":"t","name":"x"}"#),
        ErrorCode::InvalidValue
    );
    assert_eq!(
        code_of(r#"{"type":"join","room":"demo","token":"t","name":"  "}"#),
        ErrorCode::InvalidValue
    );
    assert_eq!(
        code_of(r#"{"type":"offer","sdp":"hello"}"#),
        ErrorCode::InvalidValue
    );
    assert_eq!(
        code_of(r#"{"type":"join","room":"demo","token":"","name":"x"}"#),
        ErrorCode::InvalidToken,
        "a link without a token"
    );
    let long_token = format!(
        r#"{{"type":"join","room":"demo","token":"{}","name":"x"}}"#,
        "a".repeat(MAX_TOKEN_BYTES + 1)
    );
    assert_eq!(code_of(&long_token), ErrorCode::InvalidToken);
    // JSON has no NaN or infinity, but 1e39 overflows an f32 into infinity: refused as a value.
    let resolved = serde_json::to_value(ClientMessage::Resolved {
        annotation: annotation(),
    })
    .unwrap();
    let mut overflowing = resolved.clone();
    overflowing["annotation"]["points"][0][0] = serde_json::json!(1e39);
    assert_eq!(code_of(&overflowing.to_string()), ErrorCode::InvalidValue);
    let mut far = resolved.clone();
    far["annotation"]["anchor"]["pose"]["position"][2] = serde_json::json!(5e6);
    assert_eq!(code_of(&far.to_string()), ErrorCode::InvalidValue);
    let mut bad_equipment = resolved;
    bad_equipment["annotation"]["anchor"]["equipment_id"] = serde_json::json!("x".repeat(65));
    assert_eq!(code_of(&bad_equipment.to_string()), ErrorCode::InvalidValue);
    assert_eq!(
        code_of(r#"{"type":"join","room":"demo","token":"t","name":"a\u0007b"}"#),
        ErrorCode::InvalidValue,
        "control characters in names"
    );
    // A headset reports why it could not place a mark, not arbitrary server errors.
    let spoofed = ClientMessage::ResolveFailed {
        annotation_id: "a-1".into(),
        code: ErrorCode::Forbidden,
        message: "you may not".into(),
    };
    assert_eq!(
        code_of(&serde_json::to_string(&spoofed).unwrap()),
        ErrorCode::InvalidValue
    );
}

#[test]
fn role_matrix_allows_only_what_each_role_needs() {
    use Action::*;
    let allowed = |role: Role| -> Vec<Action> {
        match role {
            Role::Technician => {
                vec![Publish, Talk, Listen, ReadRoom, ResolveAnnotation, Record]
            }
            Role::Expert => vec![
                Talk,
                Listen,
                Subscribe,
                ReadRoom,
                Annotate,
                DeleteAnnotation,
                Record,
            ],
            Role::Observer => vec![Listen, Subscribe, ReadRoom],
            Role::Trainer => vec![Listen, Subscribe, ReadRoom, Replay],
        }
    };
    for role in Role::ALL {
        for action in Action::ALL {
            assert_eq!(
                role.may(action),
                allowed(role).contains(&action),
                "{role} / {action}"
            );
        }
    }
}

#[test]
fn a_resolved_mark_says_what_it_rests_on_and_old_marks_read_as_exact() {
    let json = serde_json::to_value(annotation()).unwrap();
    assert_eq!(json["surface"], "estimate");
    // Marks stored and recorded before the field existed were all on the virtual scene.
    let mut old = json.clone();
    old.as_object_mut().unwrap().remove("surface");
    let read: Annotation = serde_json::from_value(old).unwrap();
    assert_eq!(read.surface, SurfaceQuality::Exact);
    let mut unknown = json;
    unknown["surface"] = "guess".into();
    let err = serde_json::from_value::<Annotation>(unknown).unwrap_err();
    assert!(err.to_string().contains("unknown variant `guess`"), "{err}");
}
