//! The lab console's shapes: moderation's knobs, which live in a NATS KV bucket and change
//! while moderation runs (`GET`/`PUT /knobs` on moderation), and the comments that wait for
//! a person when moderation is manual (`GET /waiting`, `POST /waiting/{id}/decision`).

use crate::events::{CommentStatus, Event};
use crate::ids::{CommentId, PostId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The KV bucket moderation's knobs live in, and the one key that holds them.
pub const KNOBS_BUCKET: &str = "MODERATION_KNOBS";
pub const KNOBS_KEY: &str = "knobs";
/// The KV bucket of the comments waiting for a person, one key per comment id.
pub const WAITING_BUCKET: &str = "MODERATION_WAITING";

/// How moderation behaves, for every instance at once. A missing field keeps its default,
/// so `{"delayMs": 2000}` is a whole, valid set of knobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ModerationKnobs {
    /// How long each decision takes (a slow moderator), in milliseconds.
    pub delay_ms: u64,
    /// The share of attempts, 0 to 1, that fail as a transient error would.
    pub fail_rate: f64,
    /// The first N attempts at each comment fail (a retry you can count on).
    pub fail_first: u32,
    /// A comment mentioning one of these words is rejected.
    pub reject_words: Vec<String>,
    /// Comments moderated at once.
    pub concurrency: u32,
    /// A person decides: new comments wait on the Moderator page instead.
    pub manual: bool,
}

impl Default for ModerationKnobs {
    fn default() -> Self {
        ModerationKnobs {
            delay_ms: 0,
            fail_rate: 0.0,
            fail_first: 0,
            reject_words: vec!["orange".to_owned()],
            concurrency: 8,
            manual: false,
        }
    }
}

impl ModerationKnobs {
    /// The longest delay the page may set: a minute, well under any consumer's patience.
    pub const MAX_DELAY_MS: u64 = 60_000;
    pub const MAX_CONCURRENCY: u32 = 1000;
    pub const MAX_FAIL_FIRST: u32 = 100;
    pub const MAX_WORDS: usize = 50;

    /// What is wrong with these knobs, worded for a person; `None` when they are fine.
    pub fn problem(&self) -> Option<String> {
        if self.delay_ms > Self::MAX_DELAY_MS {
            return Some(format!(
                "delayMs must be from 0 to {}, not {}",
                Self::MAX_DELAY_MS,
                self.delay_ms
            ));
        }
        if !(0.0..=1.0).contains(&self.fail_rate) {
            return Some(format!(
                "failRate must be from 0 to 1, not {}",
                self.fail_rate
            ));
        }
        if self.fail_first > Self::MAX_FAIL_FIRST {
            return Some(format!(
                "failFirst must be from 0 to {}, not {}",
                Self::MAX_FAIL_FIRST,
                self.fail_first
            ));
        }
        if !(1..=Self::MAX_CONCURRENCY).contains(&self.concurrency) {
            return Some(format!(
                "concurrency must be from 1 to {}, not {}",
                Self::MAX_CONCURRENCY,
                self.concurrency
            ));
        }
        if self.reject_words.len() > Self::MAX_WORDS {
            return Some(format!(
                "rejectWords may hold at most {} words",
                Self::MAX_WORDS
            ));
        }
        let word_problem = self.reject_words.iter().find(|w| {
            let w = w.trim();
            w.is_empty() || w.len() > 40 || w.contains(char::is_whitespace)
        });
        word_problem
            .map(|w| format!("rejectWords: {w:?} is not a word (1 to 40 characters, no spaces)"))
    }
}

/// The knobs as moderation holds them now, and where they came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KnobsView {
    pub knobs: ModerationKnobs,
    /// The KV revision they were read at; `None`: nobody has set them, these are the
    /// start-up defaults (moderation's environment variables).
    pub revision: Option<u64>,
}

/// A comment waiting for a person's decision, as the KV bucket holds it: the whole
/// `CommentCreated` (the decision is caused by it), and the decision once a person made it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitingEntry {
    pub created: Event,
    /// Set by the first decision; it is then published, and the entry deleted.
    pub decided: Option<CommentStatus>,
}

/// One waiting comment, as `GET /waiting` lists it (oldest first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitingComment {
    pub id: CommentId,
    pub post_id: PostId,
    pub content: String,
    /// When the comment was written (its `CommentCreated`'s time).
    pub since: DateTime<Utc>,
    /// A decision already taken and on its way to the stream.
    pub decided: Option<CommentStatus>,
}

/// `POST /waiting/{id}/decision`: `{"status": "approved"}` or `"rejected"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub status: CommentStatus,
}
