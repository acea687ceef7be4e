//! Reading the DEADLETTERS stream (see `bus::deadletters`): each message is JetStream's
//! advisory about a message a consumer gave up on, a consumer's note about it, or our
//! record of a retry.

use bus::deadletters::{Note, MAX_DELIVERIES, NOTE, RETRIED, TERMINATED};
use chrono::{DateTime, Utc};
use contract::views::{Cause, DeadLetter};
use serde::Deserialize;

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
    use bus::deadletters::{note_subject, retried_subject};

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
