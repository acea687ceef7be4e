//! The dead letters, as read from the DEADLETTERS stream, and retrying one.
//!
//! A retry puts a copy of the original message back into its stream, where its consumer
//! picks it up like any new message — safe, because every handler is idempotent. The copy's
//! `Nats-Msg-Id` is derived from the dead letter, so clicking "retry" twice within the
//! duplicate window republishes it once. The retry itself is recorded in DEADLETTERS, so
//! every query instance shows the letter as retried.

use async_nats::connection::State;
use async_nats::jetstream::{self, message::PublishMessage};
use bus::deadletters::{retried_subject, DeadLetter, Record};
use std::collections::BTreeMap;
use std::future::IntoFuture;

/// How many dead letters `/system` lists (the newest).
const SHOWN: usize = 100;

#[derive(Debug, Default)]
pub struct DeadLetters {
    by_id: BTreeMap<u64, DeadLetter>,
}

impl DeadLetters {
    pub fn apply(&mut self, record: Record) {
        match record {
            Record::DeadLetter(letter) => {
                self.by_id.entry(letter.id).or_insert(letter);
            }
            Record::Retried { dead_letter } => {
                if let Some(letter) = self.by_id.get_mut(&dead_letter) {
                    letter.retried = true;
                }
            }
        }
    }

    pub fn get(&self, id: u64) -> Option<&DeadLetter> {
        self.by_id.get(&id)
    }

    /// The newest first.
    pub fn newest(&self) -> Vec<DeadLetter> {
        self.by_id.values().rev().take(SHOWN).cloned().collect()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    #[error("the event broker is unavailable ({0})")]
    Unavailable(String),
    #[error("the original message is no longer in {0}")]
    Gone(String),
}

/// Republishes the dead letter's original message; returns the copy's stream sequence.
pub async fn retry(js: &jetstream::Context, letter: &DeadLetter) -> Result<u64, RetryError> {
    let unavailable = |e: &dyn std::fmt::Display| RetryError::Unavailable(e.to_string());
    if js.client().connection_state() != State::Connected {
        return Err(RetryError::Unavailable("not connected to nats-server".into()));
    }
    let stream = js.get_stream_no_info(&letter.stream).await.map_err(|e| unavailable(&e))?;
    let original = stream
        .get_raw_message(letter.stream_sequence)
        .await
        .map_err(|_| RetryError::Gone(letter.stream.clone()))?;
    let copy = PublishMessage::build()
        .payload(original.payload)
        .message_id(format!("retry-{}-{}", letter.stream, letter.id));
    let stored = js
        .send_publish(original.subject.to_string(), copy)
        .await
        .map_err(|e| unavailable(&e))?
        .into_future()
        .await
        .map_err(|e| unavailable(&e))?;
    let note = serde_json::json!({ "republishedSequence": stored.sequence }).to_string();
    let record = PublishMessage::build()
        .payload(note.into())
        .message_id(format!("retried-{}", letter.id));
    js.send_publish(retried_subject(letter.id), record)
        .await
        .map_err(|e| unavailable(&e))?
        .into_future()
        .await
        .map_err(|e| unavailable(&e))?;
    tracing::info!(dead_letter = letter.id, stream = %letter.stream, sequence = stored.sequence,
        "dead letter republished");
    Ok(stored.sequence)
}
