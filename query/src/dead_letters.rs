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
//!
//! The record also says where the copy landed, which ties a letter about the copy back to
//! the letter it was retried from: that chain is each letter's *generation*, which bounds
//! the automatic retries (see [`crate::redrive`]). And a letter about a comment (the last
//! token of its subject) is what `/posts` shows under that comment (see
//! [`crate::gave_up`]).

use crate::records::Record;
use crate::redrive::{Policy, Redrive, RedriveState};
use async_nats::connection::State;
use async_nats::jetstream::{self, message::PublishMessage};
use bus::consume::entity_of;
use bus::deadletters::{retried_subject, Note};
use bus::{BusConfig, CommentId};
use chrono::{DateTime, Utc};
use contract::views::{Cause, DeadLetter};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::IntoFuture;

/// How many dead letters `/system` lists (the newest).
const SHOWN: usize = 100;

/// The subjects whose letters mean a comment's moderation is stuck: moderation gave up on
/// the new comment, or comments gave up on applying moderation's decision.
const ABOUT_MODERATION: [&str; 2] = ["comments.CommentCreated.", "moderation.CommentModerated."];

/// Where a message is: stream, consumer, stream sequence.
type Place = (String, String, u64);

#[derive(Debug, Default)]
pub struct DeadLetters {
    by_id: BTreeMap<u64, DeadLetter>,
    /// The consumers' notes (subject, last error), matched to letters by place.
    notes: HashMap<Place, Note>,
    /// Retried letters and where their copy landed, if the record says (kept apart from
    /// the letters, so the order of arrival never matters).
    retried: HashMap<u64, Option<u64>>,
    /// Where each retried letter's copy landed (stream, sequence) -> the letter retried.
    copies: HashMap<(String, u64), u64>,
    /// The letters about each comment's moderation.
    by_comment: HashMap<CommentId, BTreeSet<u64>>,
    policy: Policy,
}

/// A dead letter as `/system` shows it: the letter, and where it stands with retries
/// (from the wire contract).
pub use contract::views::LetterView;

impl DeadLetters {
    /// No letters yet; automatic retries follow `policy`.
    pub fn new(policy: Policy) -> DeadLetters {
        DeadLetters {
            policy,
            ..Default::default()
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Applies one record; returns the comment whose moderation view may have changed.
    pub fn apply(&mut self, record: Record) -> Option<CommentId> {
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
                let id = letter.id;
                if let Some(copy) = self.retried.get(&id) {
                    letter.retried = true;
                    if let Some(sequence) = copy {
                        self.copies.insert((letter.stream.clone(), *sequence), id);
                    }
                }
                self.by_id.entry(id).or_insert(letter);
                self.index(id)
            }
            Record::Note {
                stream,
                consumer,
                stream_sequence,
                note,
            } => {
                let mut filled = Vec::new();
                for letter in self.by_id.values_mut() {
                    let here = letter.stream == stream && letter.consumer == consumer;
                    if here && letter.stream_sequence == stream_sequence {
                        fill(letter, &note);
                        filled.push(letter.id);
                    }
                }
                self.notes.insert((stream, consumer, stream_sequence), note);
                filled.into_iter().filter_map(|id| self.index(id)).last()
            }
            Record::Retried {
                dead_letter,
                republished_sequence,
            } => {
                self.retried.insert(dead_letter, republished_sequence);
                let letter = self.by_id.get_mut(&dead_letter)?;
                letter.retried = true;
                if let Some(sequence) = republished_sequence {
                    self.copies
                        .insert((letter.stream.clone(), sequence), dead_letter);
                }
                comment_of(letter)
            }
        }
    }

    /// Files letter `id` under its comment, once its subject is known.
    fn index(&mut self, id: u64) -> Option<CommentId> {
        let comment = comment_of(self.by_id.get(&id)?)?;
        self.by_comment.entry(comment).or_default().insert(id);
        Some(comment)
    }

    pub fn get(&self, id: u64) -> Option<&DeadLetter> {
        self.by_id.get(&id)
    }

    /// The newest first.
    pub fn newest(&self) -> Vec<LetterView> {
        let view = |letter: &DeadLetter| LetterView {
            letter: letter.clone(),
            redrive: self.redrive(letter),
        };
        self.by_id.values().rev().take(SHOWN).map(view).collect()
    }

    /// Every letter not retried yet, oldest first.
    pub fn unretried(&self) -> Vec<DeadLetter> {
        self.by_id
            .values()
            .filter(|l| !l.retried)
            .cloned()
            .collect()
    }

    /// The letters whose automatic retry is due at `now`.
    pub fn due(&self, now: DateTime<Utc>) -> Vec<DeadLetter> {
        let due = |l: &&DeadLetter| {
            let plan = self.redrive(l);
            plan.state == RedriveState::Scheduled && plan.next_retry_at.is_some_and(|at| at <= now)
        };
        self.by_id.values().filter(due).cloned().collect()
    }

    /// Whether any letter is about a comment (if not, no view needs joining).
    pub fn any_about_comments(&self) -> bool {
        !self.by_comment.is_empty()
    }

    /// The newest letter about `comment`'s moderation, unless it has been retried (its
    /// copy is then on its way through the consumer again).
    pub fn about_comment(&self, comment: CommentId) -> Option<LetterView> {
        let newest = *self.by_comment.get(&comment)?.last()?;
        let letter = self.by_id.get(&newest).filter(|l| !l.retried)?;
        Some(LetterView {
            letter: letter.clone(),
            redrive: self.redrive(letter),
        })
    }

    /// Where `letter` stands with automatic retries.
    pub fn redrive(&self, letter: &DeadLetter) -> Redrive {
        let automatic = letter.cause == Cause::MaxDeliveries;
        let mut plan = self
            .policy
            .plan(self.generation(letter), letter.time, automatic);
        if letter.retried {
            plan.state = RedriveState::Retried;
            plan.next_retry_at = None;
        }
        plan
    }

    /// How many retries led to `letter`: follows the chain copy -> the letter it was
    /// retried from, back to a message nobody retried.
    pub fn generation(&self, letter: &DeadLetter) -> u32 {
        let mut generation = 0;
        let mut current = letter;
        // Sequences only grow along a chain, so it cannot loop; the bound is a second guard.
        while generation < 1000 {
            let place = (current.stream.clone(), current.stream_sequence);
            let parent = self.copies.get(&place).and_then(|id| self.by_id.get(id));
            match parent {
                Some(parent) if parent.consumer == current.consumer => {
                    generation += 1;
                    current = parent;
                }
                _ => break,
            }
        }
        generation
    }
}

/// The comment a letter is about, if its subject is one of [`ABOUT_MODERATION`].
fn comment_of(letter: &DeadLetter) -> Option<CommentId> {
    let subject = letter.subject.as_deref()?;
    ABOUT_MODERATION
        .iter()
        .any(|prefix| subject.starts_with(prefix))
        .then_some(())?;
    entity_of(subject).parse().ok()
}

/// Adds what a note knows; the advisory's own reason, if any, wins.
fn fill(letter: &mut DeadLetter, note: &Note) {
    letter.subject.get_or_insert_with(|| note.subject.clone());
    letter.error.get_or_insert_with(|| note.error.clone());
}

/// Why a retry failed: our words for the user, the client's error kept as the source.
#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    #[error("the event broker is unavailable")]
    NotConnected,
    #[error("the event broker is unavailable")]
    Unavailable(#[source] async_nats::Error),
    #[error("the original message is no longer in {0}")]
    Gone(String),
}

impl RetryError {
    /// Nothing could be done for now: the broker is away.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, RetryError::NotConnected | RetryError::Unavailable(_))
    }
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
    fn unavailable(error: impl std::error::Error + Send + Sync + 'static) -> RetryError {
        RetryError::Unavailable(Box::new(error))
    }
    if js.client().connection_state() != State::Connected {
        return Err(RetryError::NotConnected);
    }
    let stream = js
        .get_stream_no_info(&letter.stream)
        .await
        .map_err(unavailable)?;
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
        .map_err(unavailable)?
        .into_future()
        .await
        .map_err(unavailable)?;
    let note = serde_json::json!({ "republishedSequence": stored.sequence }).to_string();
    let record = PublishMessage::build()
        .payload(note.into())
        .message_id(format!("retried-{}", letter.id));
    js.send_publish(retried_subject(letter.id), record)
        .await
        .map_err(unavailable)?
        .into_future()
        .await
        .map_err(unavailable)?;
    tracing::info!(dead_letter = letter.id, stream = %letter.stream, sequence = stored.sequence,
        "dead letter republished");
    Ok(stored.sequence)
}
