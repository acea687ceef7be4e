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
//!
//! This module holds what writers need (the stream, the subjects, the note); reading the
//! records back is query's business (`query::records`).

use async_nats::jetstream::stream;
use serde::{Deserialize, Serialize};

pub const STREAM: &str = contract::names::DEAD_LETTERS;
/// JetStream's advisory when a message reached its consumer's `max_deliver`.
pub const MAX_DELIVERIES: &str = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES";
/// JetStream's advisory when a consumer terminated a message.
pub const TERMINATED: &str = "$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED";
/// Our record of a retry: `deadletters.retried.<dead letter sequence>`.
pub const RETRIED: &str = "deadletters.retried";
/// A consumer's note: `deadletters.note.<stream>.<consumer>.<stream sequence>`.
pub const NOTE: &str = "deadletters.note";

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
