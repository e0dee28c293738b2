//! A sink (the recorder's seat) attached through the server's SFU handle, beside a viewer
//! with a real `webrtc` peer: from its first keyframe on, every access unit it gets is byte
//! for byte what the viewer got, under the same RTP timestamp, and the frame records arrive.

mod common;

use common::video::{access_units, annex_b, frame_nals, frame_record, publish, subscribe};
use spotter_protocol::RoomId;
use spotter_server::sfu::SinkMedia;
use std::collections::HashSet;
use std::time::Duration;

const FRAMES: u32 = 75;
/// Keyframes at frames 10, 40 and 70: the stream starts with frames a sink must skip.
fn is_keyframe(i: u32) -> bool {
    i % 30 == 10
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sink_gets_the_video_a_viewer_gets_from_a_keyframe_on_and_the_frame_records() {
    let server = common::start().await;
    // Attached before the room has a publisher: it waits for one.
    let mut sink = server.sfu().attach_sink(RoomId::new("demo")).await.unwrap();
    let mut publisher = publish(&server).await;
    let mut viewer = subscribe(&server, "Ana").await;
    // Give the data channels a moment to open end to end.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let origin = 7_000_000u32;
    let mut sent_records = HashSet::new();
    for i in 0..FRAMES {
        let timestamp = origin + i * 3000;
        let unit = annex_b(&frame_nals(i, is_keyframe(i)));
        publisher
            .video
            .send_access_unit(unit, timestamp)
            .await
            .unwrap();
        let record = frame_record(i, timestamp);
        if publisher.frames.send(&record).await {
            sent_records.insert(record);
        }
        tokio::time::sleep(Duration::from_millis(33)).await;
    }

    let last = origin + (FRAMES - 1) * 3000;
    let viewed = access_units(&viewer.packets_until(last).await);
    let mut recorded = Vec::new();
    let mut records = HashSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while let Ok(Some(media)) = tokio::time::timeout_at(deadline, sink.recv()).await {
        match media {
            SinkMedia::Video {
                rtp_timestamp,
                data,
                keyframe,
                ..
            } => {
                recorded.push((rtp_timestamp, data, keyframe));
                if rtp_timestamp == last {
                    break;
                }
            }
            SinkMedia::FrameRecord { data, .. } => {
                records.insert(String::from_utf8(data.to_vec()).unwrap());
            }
            SinkMedia::Voice { .. } => panic!("nobody talks"),
        }
    }
    while let Ok(SinkMedia::FrameRecord { data, .. }) = sink.try_recv() {
        records.insert(String::from_utf8(data.to_vec()).unwrap());
    }

    let (first, _, first_is_keyframe) = recorded.first().expect("the sink got video");
    assert!(first_is_keyframe, "the recording starts on a keyframe");
    assert_eq!(*first, origin + 10 * 3000, "the first keyframe");
    assert_eq!(recorded.last().unwrap().0, last, "every frame to the last");
    let start = viewed.iter().position(|(t, _)| t == first).unwrap();
    assert_eq!(
        recorded.len(),
        viewed.len() - start,
        "the viewer's frames from the first keyframe on"
    );
    for ((timestamp, data, keyframe), (viewed_timestamp, viewed_data)) in
        recorded.iter().zip(&viewed[start..])
    {
        assert_eq!(timestamp, viewed_timestamp, "same RTP timestamps");
        assert_eq!(&data[..], &viewed_data[..], "frame {timestamp}: same bytes");
        let i = (timestamp - origin) / 3000;
        assert_eq!(*keyframe, is_keyframe(i), "frame {i} marked as it is");
    }
    assert!(
        records.is_subset(&sent_records),
        "records relayed unchanged"
    );
    // The channel may drop records by design; on loopback most arrive.
    assert!(
        records.len() as u32 > FRAMES * 9 / 10,
        "only {} of {} frame records reached the sink",
        records.len(),
        sent_records.len()
    );
}
