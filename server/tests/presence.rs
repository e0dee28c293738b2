//! "Away": the technician's headset says when it is taken off and put back on; everyone in the
//! room and late joiners see it, and only the technician may say it.

mod common;

use common::next_message;
use spotter_protocol::{ClientMessage, Participant, Role, ServerMessage};
use std::time::Duration;

async fn next_update(signaling: &mut spotter_peer::signaling::Signaling) -> Participant {
    loop {
        match signaling
            .recv_timeout(Duration::from_secs(5))
            .await
            .unwrap()
        {
            ServerMessage::ParticipantUpdated { participant } => return participant,
            _ => continue,
        }
    }
}

#[tokio::test]
async fn the_technician_going_away_and_back_reaches_everyone_and_only_it_may_say_so() {
    let server = common::start().await;
    let (tom, tom_id) = server.join(Role::Technician, "Tom").await;
    let (mut ana, _) = server.join(Role::Expert, "Ana").await;

    tom.send(&ClientMessage::SetAway { away: true }).unwrap();
    let away = next_update(&mut ana).await;
    assert_eq!((away.id.as_str(), away.away), (tom_id.as_str(), true));
    assert_eq!(
        server.demo_participant(&tom_id).await["away"],
        true,
        "late joiners see it too"
    );

    tom.send(&ClientMessage::SetAway { away: false }).unwrap();
    let back = next_update(&mut ana).await;
    assert_eq!((back.id.as_str(), back.away), (tom_id.as_str(), false));

    // An expert has no headset to take off.
    ana.send(&ClientMessage::SetAway { away: true }).unwrap();
    match next_message(&mut ana).await {
        ServerMessage::Error { code, .. } => assert_eq!(code.as_str(), "forbidden"),
        other => panic!("{other:?}"),
    }
}
