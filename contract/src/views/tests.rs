//! Round trips, as query writes and the web client reads, and the reader's tolerance.

use super::*;
use crate::events::CommentStatus;
use crate::ids::CommentId;
use chrono::DateTime;
use serde_json::json;

#[test]
fn a_system_view_round_trips_and_tolerates_what_a_reader_does_not_know() {
    let view = SystemView {
        broker_connected: true,
        services: vec![ServiceView {
            name: "query".into(),
            up: true,
            instances: 2,
        }],
        streams: vec![StreamView {
            name: "COMMENTS".into(),
            messages: 9,
            first_seq: 1,
            last_seq: 9,
            consumers: vec![ConsumerView {
                name: "moderation".into(),
                pending: 4,
                ack_pending: 1,
                redelivered: 0,
                delivered_seq: 5,
                ack_floor_seq: 4,
                filters: vec!["comments.CommentCreated.>".into()],
            }],
            cluster: Some(StreamCluster {
                leader: Some("nats-1".into()),
                replicas: vec![ReplicaView {
                    name: "nats-2".into(),
                    current: false,
                    offline: true,
                    lag: 3,
                    seen_ms_ago: 9_000,
                }],
            }),
        }],
        dead_letters: vec![LetterView {
            letter: DeadLetter {
                id: 7,
                cause: Cause::MaxDeliveries,
                stream: "COMMENTS".into(),
                consumer: "moderation".into(),
                stream_sequence: 3,
                subject: None,
                deliveries: 5,
                error: Some("boom".into()),
                time: DateTime::UNIX_EPOCH,
                retried: false,
            },
            redrive: Redrive::default(),
        }],
        nodes: vec![NodeView {
            name: "nats-1".into(),
            up: true,
        }],
    };
    let json = serde_json::to_value(&view).expect("serializes");
    assert_eq!(json["deadLetters"][0]["cause"], "maxDeliveries");
    assert_eq!(json["deadLetters"][0]["redrive"]["state"], "manual");
    assert_eq!(json["streams"][0]["consumers"][0]["ackPending"], 1);
    assert_eq!(json["streams"][0]["consumers"][0]["ackFloorSeq"], 4);
    assert_eq!(json["streams"][0]["lastSeq"], 9);
    assert_eq!(serde_json::from_value::<SystemView>(json).ok(), Some(view));

    let newer = json!({"brokerConnected": true, "somethingNew": 1,
        "deadLetters": [{"id": 1, "cause": "somethingElse", "stream": "S", "consumer": "c",
          "streamSequence": 1, "deliveries": 1, "time": "2026-12-01T10:00:00Z",
          "redrive": {"state": "paused"}}]});
    let read: SystemView = serde_json::from_value(newer).expect("tolerated");
    assert_eq!(read.dead_letters[0].letter.cause, Cause::Other);
    assert_eq!(read.dead_letters[0].redrive.state, RedriveState::Other);
}

#[test]
fn a_stuck_comment_carries_its_issue_flattened_with_the_redrive() {
    let comment = CommentView {
        id: CommentId(uuid::Uuid::nil()),
        content: "hi".into(),
        status: CommentStatus::Pending,
        moderation: Some(ModerationIssue {
            gave_up: true,
            dead_letter: 4,
            consumer: "moderation".into(),
            error: None,
            redrive: Redrive {
                state: RedriveState::Exhausted,
                retries: 3,
                max_retries: 3,
                next_retry_at: None,
            },
        }),
    };
    let json = serde_json::to_value(&comment).expect("serializes");
    assert_eq!(json["moderation"]["state"], "exhausted");
    assert_eq!(json["moderation"]["deadLetter"], 4);
    assert_eq!(
        serde_json::from_value::<CommentView>(json).ok(),
        Some(comment)
    );
    let plain = json!({"id": CommentId(uuid::Uuid::nil()), "content": "x", "status": "approved"});
    let read: CommentView = serde_json::from_value(plain.clone()).expect("reads");
    assert_eq!(
        serde_json::to_value(&read).ok(),
        Some(plain),
        "no moderation field"
    );
}

#[test]
fn a_replica_seems_up_when_current_or_heard_from_lately() {
    let replica = |current, offline, seen_ms_ago| ReplicaView {
        name: "nats-3".into(),
        current,
        offline,
        lag: 0,
        seen_ms_ago,
    };
    assert!(replica(true, false, 0).seems_up());
    assert!(replica(false, false, 800).seems_up(), "catching up");
    assert!(
        !replica(false, false, 0).seems_up(),
        "a new leader never heard from it"
    );
    assert!(!replica(false, false, 14_000).seems_up(), "silent for long");
    assert!(
        !replica(true, true, 10).seems_up(),
        "the group says offline"
    );
}

#[test]
fn a_tape_page_carries_each_message_whole() {
    let page = TapePage {
        stream: "COMMENTS".into(),
        first_seq: 1,
        last_seq: 2,
        messages: vec![TapeMessage {
            seq: 2,
            time: "2026-12-01T10:00:00Z".parse().expect("a time"),
            subject: "comments.CommentCreated.x".into(),
            event_type: Some("CommentCreated".into()),
            summary: "\u{201c}hi\u{201d} pending".into(),
            body: json!({"type": "CommentCreated", "data": {"content": "hi"}}),
        }],
    };
    let json = serde_json::to_value(&page).expect("serializes");
    assert_eq!(json["messages"][0]["eventType"], "CommentCreated");
    assert_eq!(json["messages"][0]["body"]["data"]["content"], "hi");
    assert_eq!(serde_json::from_value::<TapePage>(json).ok(), Some(page));
}
