//! The recordings' library as a trainer browses it: each recording listed with who was there,
//! the equipment marked and how many marks, newest first; the filters by room, equipment and
//! date; bad filter values refused each with its own sentence; a trainer sees its room only.

mod common;

use common::marks::{on_pump, point_at};
use common::recordings::{start_recording, stop_recording};
use common::video::publish;
use common::{TestServer, next_message};
use serde_json::Value;
use spotter_peer::Signaling;
use spotter_protocol::{
    Anchor, ClientMessage, EquipmentInfo, RecordingStatus, Role, ServerMessage,
};
use std::time::Duration;

/// The expert places a mark that the headset resolves on `equipment`.
async fn mark(expert: &mut Signaling, technician: &mut Signaling, n: u32, equipment: &str) {
    expert.send(&point_at(0.5, 0.5, n)).unwrap();
    let request = loop {
        if let ServerMessage::ResolveRequest(request) = next_message(technician).await {
            break request;
        }
    };
    let mut annotation = on_pump(&request);
    if let Anchor::Equipment { equipment_id, .. } = &mut annotation.anchor {
        *equipment_id = equipment.into();
    }
    technician
        .send(&ClientMessage::Resolved { annotation })
        .unwrap();
    while !matches!(
        next_message(expert).await,
        ServerMessage::AnnotationAdded { .. }
    ) {}
}

/// Three recordings, oldest first: in `demo`, one with video where Ana joins and three marks
/// are placed (the pump twice, the panel once), then one where nothing happens (the marks are
/// still there, placed before it); then one in `other`.
async fn library(server: &TestServer) -> [RecordingStatus; 3] {
    let mut headset = publish(server).await;
    let named = |id: &str, name: &str| EquipmentInfo {
        id: id.into(),
        name: name.into(),
    };
    let items = vec![
        named("pump-1", "Feed pump P-101"),
        named("panel-1", "Control panel CP-3"),
    ];
    headset
        .signaling
        .send(&ClientMessage::Equipment { items })
        .unwrap();
    let (mut eve, _) = server.join(Role::Expert, "Eve").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let first = start_recording(&mut eve).await;
    let (_ana, _) = server.join(Role::Expert, "Ana").await;
    for (n, equipment) in [(1, "pump-1"), (2, "panel-1"), (3, "pump-1")] {
        mark(&mut eve, &mut headset.signaling, n, equipment).await;
    }
    headset.send_frames(0..60, Duration::from_millis(33)).await;
    stop_recording(&mut eve).await;

    let second = start_recording(&mut eve).await;
    stop_recording(&mut eve).await;

    let mut elsewhere = server.connect().await;
    elsewhere
        .join("other", &server.token("other", Role::Expert), "Olga")
        .await
        .unwrap();
    let third = start_recording(&mut elsewhere).await;
    stop_recording(&mut elsewhere).await;
    [first, second, third]
}

fn ids(list: &Value) -> Vec<String> {
    list["recordings"]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|r| r["recording_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_library_lists_who_was_there_what_was_marked_and_filters_by_room_equipment_and_date() {
    let server = common::start().await;
    let [first, second, third] = library(&server).await;
    let id = |r: &RecordingStatus| r.recording_id.to_string();
    let (a, b, c) = (id(&first), id(&second), id(&third));
    let (a, b, c) = (a.as_str(), b.as_str(), c.as_str());

    let (status, all) = server.get("/api/recordings").await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(ids(&all), [c, b, a], "newest first");
    assert_eq!(all["total"], 3);

    let marked = &all["recordings"][2];
    assert_eq!(marked["room"], "demo");
    assert_eq!(marked["started_at_ms"], first.started_at_ms);
    assert!(marked["stopped_at_ms"].as_u64() > Some(first.started_at_ms));
    let duration = marked["duration_ms"].as_u64().unwrap();
    assert!((500..=4_000).contains(&duration), "{duration} ms of video");
    let people: Vec<_> = marked["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        people,
        [("Tom", "technician"), ("Eve", "expert"), ("Ana", "expert")],
        "the room at the start, then who joined"
    );
    assert_eq!(marked["marks_placed"], 3);
    assert_eq!(
        marked["marked_equipment"],
        serde_json::json!([
            { "id": "pump-1", "name": "Feed pump P-101" },
            { "id": "panel-1", "name": "Control panel CP-3" },
        ])
    );
    assert!(marked.get("initial").is_none(), "the listing is compact");
    let quiet = &all["recordings"][1];
    assert_eq!(
        quiet["marks_placed"], 0,
        "marks placed before it are not counted"
    );
    assert_eq!(quiet["marked_equipment"], serde_json::json!([]));
    assert!(quiet["duration_ms"].is_null(), "no video came");

    let listed = |query: String| {
        let server = &server;
        async move {
            let (status, list) = server.get(&format!("/api/recordings?{query}")).await;
            assert_eq!(status, 200, "{query}: {list}");
            (ids(&list), list["total"].as_u64().unwrap())
        }
    };
    let (t1, t2, t3) = (
        first.started_at_ms,
        second.started_at_ms,
        third.started_at_ms,
    );
    assert_eq!(listed("room=demo".into()).await.0, [b, a]);
    assert_eq!(listed("room=other".into()).await.0, [c]);
    assert_eq!(listed("equipment=panel-1".into()).await.0, [a]);
    assert_eq!(listed("equipment=valve-9".into()).await, (vec![], 0));
    // From inclusive, to exclusive.
    assert_eq!(listed(format!("from={t2}")).await.0, [c, b]);
    assert_eq!(listed(format!("to={t2}")).await.0, [a]);
    assert_eq!(listed(format!("from={t1}&to={t3}")).await.0, [b, a]);
    assert_eq!(
        listed(format!("room=demo&equipment=pump-1&from={t1}&to={t3}"))
            .await
            .0,
        [a]
    );
    assert_eq!(listed("limit=1".into()).await, (vec![c.to_owned()], 3));

    // A trainer sees its room's only.
    let trainer = server.token("demo", Role::Trainer);
    let (status, mine) = server
        .request("GET", "/api/recordings?limit=5", Some(&trainer), None)
        .await;
    assert_eq!(
        (status, ids(&mine)),
        (200, vec![b.to_owned(), a.to_owned()])
    );
    assert_eq!(mine["total"], 2);
    let (status, theirs) = server
        .request("GET", "/api/recordings?room=other", Some(&trainer), None)
        .await;
    assert_eq!((status, theirs["code"].as_str()), (403, Some("wrong_room")));

    // The listings are stored: the same after a restart.
    let data_dir = server.stop().await;
    let server = common::start_with_data_dir(Some(data_dir)).await;
    let (_, again) = server.get("/api/recordings").await;
    assert_eq!(again, all);
}

#[tokio::test]
async fn each_bad_filter_value_is_refused_with_its_own_sentence() {
    let server = common::start().await;
    let cases = [
        (
            "from=yesterday",
            "from must be milliseconds since the Unix epoch",
        ),
        ("to=-1", "to must be milliseconds since the Unix epoch"),
        ("from=99999999999999999999", "from must be milliseconds"),
        ("from=5&to=5", "from must be before to"),
        ("limit=0", "limit must be a whole number from 1 to 1000"),
        ("limit=1001", "limit must be a whole number from 1 to 1000"),
        ("limit=ten", "limit must be a whole number from 1 to 1000"),
        ("equipment=..%2Fpump", "equipment ids are 1-64 letters"),
        ("equipment=", "equipment ids are 1-64 letters"),
        ("room=line%203", "room names are 1-64 letters"),
        (
            "sort=oldest",
            "the list takes the query parameters room, equipment",
        ),
        ("room=demo&room=other", "each at most once"),
    ];
    for (query, sentence) in cases {
        let (status, body) = server.get(&format!("/api/recordings?{query}")).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("invalid_value")),
            "{query}: {body}"
        );
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(sentence), "{query}: {message}");
    }
    server.assert_healthy("after the bad filters").await;
}
