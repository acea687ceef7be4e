//! Dead letters: messages a consumer gave up on.
//!
//! JetStream itself announces them. When a message reaches a consumer's `max_deliver`, the
//! server publishes a *max deliveries* advisory; when a consumer terminates a message, a
//! *terminated* advisory (with the reason we gave). The DEADLETTERS stream simply captures
//! those advisory subjects, so every dead letter is stored, survives restarts, and can be
//! replayed like any other stream. Advisories do not say *why* or *which subject*, so the
//! consumer that gives up also leaves a note (`deadletters.note.<stream>.<consumer>.<seq>`)
//! with the subject and its last error. A retry (from the web client, through query) is
//! recorded in the same stream on `deadletters.retried.<dead letter sequence>`, with the
//! copy's new stream sequence (`{"republishedSequence": n}`), so a later letter about that
//! copy can be traced back to the one it was retried from.

use async_nats::jetstream::stream;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const STREAM: &str = contract::names::DEAD_LETTERS;
const MAX_DELIVERIES: &str = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES";
const TERMINATED: &str = "$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED";
const RETRIED: &str = "deadletters.retried";
const NOTE: &str = "deadletters.note";

pub fn config(replicas: usize) -> stream::Config {
    stream::Config {
        name: STREAM.to_owned(),
        subjects: vec![
            format!("{MAX_DELIVERIES}.>"),
            format!("{TERMINATED}.>"),
            format!("{RETRIED}.>"),
            format!("{NOTE}.>"),
        ],
        storage: stream::StorageType::File,
        num_replicas: replicas,
        ..Default::default()
    }
}

/// The subject that records a retry of the dead letter at `sequence` in DEADLETTERS.
pub fn retried_subject(sequence: u64) -> String {
    format!("{RETRIED}.{sequence}")
}

/// Where a consumer notes why it gave up on the message at `sequence` of `stream`.
pub fn note_subject(stream: &str, consumer: &str, sequence: u64) -> String {
    format!("{NOTE}.{stream}.{consumer}.{sequence}")
}

/// A consumer's note about a message it gave up on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub subject: String,
    pub error: String,
}

/// The payload of a retry record.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Retry {
    republished_sequence: u64,
}

/// The fields both advisories share (the server's own JSON names).
#[derive(Debug, Deserialize)]
struct Advisory {
    stream: String,
    consumer: String,
    stream_seq: u64,
    deliveries: u64,
    #[serde(default)]
    reason: Option<String>,
    timestamp: DateTime<Utc>,
}

pub use contract::views::{Cause, DeadLetter};

/// One record of the DEADLETTERS stream.
#[derive(Debug, PartialEq)]
pub enum Record {
    DeadLetter(DeadLetter),
    /// The letter was retried; its message's copy is at `republished_sequence` of the same
    /// stream (`None` if the record does not say).
    Retried {
        dead_letter: u64,
        republished_sequence: Option<u64>,
    },
    Note {
        stream: String,
        consumer: String,
        stream_sequence: u64,
        note: Note,
    },
}

impl Record {
    /// Reads the record stored at `sequence` on `subject`; `None` if it is not one of ours.
    pub fn parse(subject: &str, payload: &[u8], sequence: u64) -> Option<Record> {
        if let Some(id) = subject
            .strip_prefix(RETRIED)
            .and_then(|s| s.strip_prefix('.'))
        {
            let republished_sequence = serde_json::from_slice::<Retry>(payload)
                .ok()
                .map(|r| r.republished_sequence);
            return id.parse().ok().map(|dead_letter| Record::Retried {
                dead_letter,
                republished_sequence,
            });
        }
        if let Some(rest) = subject.strip_prefix(NOTE).and_then(|s| s.strip_prefix('.')) {
            let mut parts = rest.splitn(3, '.');
            let (stream, consumer, sequence) = (parts.next()?, parts.next()?, parts.next()?);
            return Some(Record::Note {
                stream: stream.to_owned(),
                consumer: consumer.to_owned(),
                stream_sequence: sequence.parse().ok()?,
                note: serde_json::from_slice(payload).ok()?,
            });
        }
        let cause = if subject.starts_with(MAX_DELIVERIES) {
            Cause::MaxDeliveries
        } else if subject.starts_with(TERMINATED) {
            Cause::Terminated
        } else {
            return None;
        };
        let advisory: Advisory = serde_json::from_slice(payload).ok()?;
        Some(Record::DeadLetter(DeadLetter {
            id: sequence,
            cause,
            stream: advisory.stream,
            consumer: advisory.consumer,
            stream_sequence: advisory.stream_seq,
            subject: None,
            deliveries: advisory.deliveries,
            error: advisory.reason.filter(|r| !r.is_empty()),
            time: advisory.timestamp,
            retried: false,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_terminated_advisory_and_a_retry() {
        let advisory = br#"{"type":"io.nats.jetstream.advisory.v1.terminated","id":"x",
            "timestamp":"2026-11-22T10:00:00Z","stream":"COMMENTS","consumer":"moderation",
            "consumer_seq":3,"stream_seq":7,"deliveries":1,"reason":"not a valid event"}"#;
        let subject = "$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.COMMENTS.moderation";
        let Some(Record::DeadLetter(letter)) = Record::parse(subject, advisory, 12) else {
            panic!("expected a dead letter")
        };
        assert_eq!(
            (letter.id, letter.stream_sequence, letter.cause),
            (12, 7, Cause::Terminated)
        );
        assert_eq!(letter.error.as_deref(), Some("not a valid event"));
        assert_eq!(
            Record::parse(&retried_subject(12), br#"{"republishedSequence":20}"#, 13),
            Some(Record::Retried {
                dead_letter: 12,
                republished_sequence: Some(20)
            })
        );
        assert_eq!(
            Record::parse(&retried_subject(12), b"{}", 13),
            Some(Record::Retried {
                dead_letter: 12,
                republished_sequence: None
            })
        );
        assert_eq!(Record::parse("something.else", b"{}", 1), None);
        let note = br#"{"subject":"comments.CommentCreated.x","error":"boom"}"#;
        let Some(Record::Note {
            stream,
            consumer,
            stream_sequence,
            note,
        }) = Record::parse(&note_subject("COMMENTS", "moderation", 7), note, 14)
        else {
            panic!("expected a note")
        };
        assert_eq!(
            (stream.as_str(), consumer.as_str(), stream_sequence),
            ("COMMENTS", "moderation", 7)
        );
        assert_eq!(note.error, "boom");
    }
}
