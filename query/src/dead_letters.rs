//! The dead letters, as read from the DEADLETTERS stream, and retrying one.
//!
//! A retry puts a copy of the original message back into its stream, where its consumer
//! picks it up like any new message — safe, because every handler is idempotent. The copy's
//! `Nats-Msg-Id` is derived from the dead letter, so clicking "retry" twice within the
//! duplicate window republishes it once. The retry itself is recorded in DEADLETTERS, so
//! every query instance shows the letter as retried.
//!
//! Query's own NATS user may publish no event at all (`nats/auth.conf`), so a retry goes
//! through a second connection, as `admin`, opened at startup and used for nothing else.

use async_nats::connection::State;
use async_nats::jetstream::{self, message::PublishMessage};
use bus::deadletters::{retried_subject, DeadLetter, Note, Record};
use bus::BusConfig;
use std::collections::{BTreeMap, HashMap};
use std::future::IntoFuture;

/// How many dead letters `/system` lists (the newest).
const SHOWN: usize = 100;

/// Where a message is: stream, consumer, stream sequence.
type Place = (String, String, u64);

#[derive(Debug, Default)]
pub struct DeadLetters {
    by_id: BTreeMap<u64, DeadLetter>,
    /// The consumers' notes (subject, last error), matched to letters by place.
    notes: HashMap<Place, Note>,
}

impl DeadLetters {
    pub fn apply(&mut self, record: Record) {
        match record {
            Record::DeadLetter(mut letter) => {
                let place = (
                    letter.stream.clone(),
                    letter.consumer.clone(),
                    letter.stream_sequence,
                );
                if let Some(note) = self.notes.get(&place) {
                    fill(&mut letter, note);
                }
                self.by_id.entry(letter.id).or_insert(letter);
            }
            Record::Note {
                stream,
                consumer,
                stream_sequence,
                note,
            } => {
                for letter in self.by_id.values_mut() {
                    let here = letter.stream == stream && letter.consumer == consumer;
                    if here && letter.stream_sequence == stream_sequence {
                        fill(letter, &note);
                    }
                }
                self.notes.insert((stream, consumer, stream_sequence), note);
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

/// Adds what a note knows; the advisory's own reason, if any, wins.
fn fill(letter: &mut DeadLetter, note: &Note) {
    letter.subject.get_or_insert_with(|| note.subject.clone());
    letter.error.get_or_insert_with(|| note.error.clone());
}

#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    #[error("the event broker is unavailable ({0})")]
    Unavailable(String),
    #[error("the original message is no longer in {0}")]
    Gone(String),
}

/// The connection retries go through: the same servers as `bus`, as the `admin` user
/// (password `$NATS_PASSWORD_ADMIN`, see `bus::auth`). Waits until connected.
pub async fn retry_connection(bus: &BusConfig) -> jetstream::Context {
    let admin = bus.as_user(bus::auth::ADMIN, &format!("{}-retry", bus.client_name));
    jetstream::new(bus::connect::connect(&admin).await)
}

/// Republishes the dead letter's original message through `js` (the [`retry_connection`]);
/// returns the copy's stream sequence.
pub async fn retry(js: &jetstream::Context, letter: &DeadLetter) -> Result<u64, RetryError> {
    let unavailable = |e: &dyn std::fmt::Display| RetryError::Unavailable(e.to_string());
    if js.client().connection_state() != State::Connected {
        return Err(RetryError::Unavailable(
            "not connected to nats-server".into(),
        ));
    }
    let stream = js
        .get_stream_no_info(&letter.stream)
        .await
        .map_err(|e| unavailable(&e))?;
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
