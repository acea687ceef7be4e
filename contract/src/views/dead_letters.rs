//! Dead letters and their re-drive.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a dead letter stands with automatic retries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Redrive {
    pub state: RedriveState,
    /// Retries so far along this letter's chain (its generation).
    #[serde(default)]
    pub retries: u32,
    /// The bound on automatic retries.
    #[serde(default)]
    pub max_retries: u32,
    /// When the next automatic retry is due (only while `scheduled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_retry_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RedriveState {
    /// An automatic retry is due at `nextRetryAt`.
    Scheduled,
    /// Retried (by a person or automatically): its copy is back in the stream.
    Retried,
    /// The bound is reached: it stays until a person retries it.
    Exhausted,
    /// Never retried automatically (terminated by its consumer, or re-drive is off).
    #[default]
    Manual,
    /// A state this reader does not know yet.
    #[serde(other)]
    Other,
}

/// Why a consumer gave up on a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Cause {
    /// Every allowed delivery failed.
    MaxDeliveries,
    /// The consumer terminated it (it could never succeed, or was not an event).
    Terminated,
    /// A cause this reader does not know yet: still shown, not dropped.
    #[serde(other)]
    Other,
}

/// One message a consumer gave up on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    /// Its sequence in DEADLETTERS: the id a retry refers to.
    pub id: u64,
    pub cause: Cause,
    pub stream: String,
    pub consumer: String,
    /// Where the message itself is: its sequence in `stream`, and its subject (if the
    /// consumer left a note).
    pub stream_sequence: u64,
    #[serde(default)]
    pub subject: Option<String>,
    pub deliveries: u64,
    #[serde(default)]
    pub error: Option<String>,
    pub time: DateTime<Utc>,
    #[serde(default)]
    pub retried: bool,
}

/// A dead letter as `/system` lists it: the letter, and where it stands with retries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LetterView {
    #[serde(flatten)]
    pub letter: DeadLetter,
    #[serde(default)]
    pub redrive: Redrive,
}
