//! The history: every write the clients made, every attempt at it and what came back.
//!
//! Each finished operation is appended to `history.jsonl` in the run folder as one JSON line
//! (so a failed run can be read, grepped and replayed), and kept in memory for the checker.
//!
//! An operation is found again in the final state by its token, `[c2-17]` (client 2's 17th
//! write), which is part of the title or content it wrote. That is how an operation whose
//! outcome is unknown — no id ever came back — can still be looked for.

use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Post,
    Comment,
}

/// One logical write: a post or a comment, with all its attempts (the first and the retries,
/// all with the same `Idempotency-Key`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    /// `c2-17`; also the token in the text.
    pub id: String,
    pub kind: Kind,
    pub key: String,
    /// For a comment: the post it was written to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_id: Option<String>,
    /// The title or the content sent.
    pub text: String,
    pub attempts: Vec<Attempt>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// Milliseconds since the run started.
    pub sent_ms: u64,
    pub answered_ms: u64,
    pub answer: Answer,
}

/// What one attempt got back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Answer {
    /// 201 with the new id.
    Created { id: String },
    /// A definite failure: nothing was stored (a 4xx, a 503 that says nothing was written, or
    /// a connection that was refused, so the request never left).
    Failed { status: u16, error: String },
    /// Anything that leaves the outcome open: a 503 "may still be stored", a timeout, a
    /// connection that broke after the request was sent.
    Unknown { reason: String },
}

/// What the history says about an operation as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Some attempt got a 201; the id it returned.
    Acknowledged(String),
    /// No 201, and at least one attempt might have stored it.
    Unknown,
    /// Every attempt failed definitely: it must not be stored.
    Failed,
}

impl Operation {
    pub fn outcome(&self) -> Outcome {
        let mut unknown = false;
        for attempt in &self.attempts {
            match &attempt.answer {
                Answer::Created { id } => return Outcome::Acknowledged(id.clone()),
                Answer::Unknown { .. } => unknown = true,
                Answer::Failed { .. } => {}
            }
        }
        if unknown {
            Outcome::Unknown
        } else {
            Outcome::Failed
        }
    }

    pub fn last_answer_ms(&self) -> u64 {
        self.attempts.last().map_or(0, |a| a.answered_ms)
    }
}

pub fn token(operation_id: &str) -> String {
    format!("[{operation_id}]")
}

/// The operation id inside a title or content, if it has one: `c2-17` from `… [c2-17]`.
pub fn operation_in(text: &str) -> Option<&str> {
    let start = text.rfind('[')?;
    let end = start + text[start..].find(']')?;
    Some(&text[start + 1..end])
}

/// Time since the start of the run, the one clock every record uses.
#[derive(Clone, Copy, Debug)]
pub struct Clock(Instant);

impl Clock {
    pub fn start() -> Clock {
        Clock(Instant::now())
    }

    pub fn ms(&self) -> u64 {
        self.0.elapsed().as_millis() as u64
    }

    pub fn started(&self) -> Instant {
        self.0
    }
}

/// Counts by outcome, for the progress line.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    pub acknowledged: usize,
    pub unknown: usize,
    pub failed: usize,
    pub retries: usize,
}

impl Counts {
    pub fn total(&self) -> usize {
        self.acknowledged + self.unknown + self.failed
    }

    pub fn of(operations: &[Operation]) -> Counts {
        let mut counts = Counts::default();
        for operation in operations {
            counts.add(operation);
        }
        counts
    }

    fn add(&mut self, operation: &Operation) {
        match operation.outcome() {
            Outcome::Acknowledged(_) => self.acknowledged += 1,
            Outcome::Unknown => self.unknown += 1,
            Outcome::Failed => self.failed += 1,
        }
        self.retries += operation.attempts.len().saturating_sub(1);
    }
}

/// The history being recorded: the file, and the operations in memory.
pub struct Recorder {
    inner: Mutex<Recorded>,
}

struct Recorded {
    file: BufWriter<File>,
    operations: Vec<Operation>,
    counts: Counts,
    write_error: Option<String>,
}

impl Recorder {
    pub fn create(path: &Path) -> anyhow::Result<Recorder> {
        let file =
            File::create(path).map_err(|e| anyhow::anyhow!("creating {}: {e}", path.display()))?;
        Ok(Recorder {
            inner: Mutex::new(Recorded {
                file: BufWriter::new(file),
                operations: Vec::new(),
                counts: Counts::default(),
                write_error: None,
            }),
        })
    }

    pub fn record(&self, operation: Operation) {
        let mut recorded = self.lock();
        let line = serde_json::to_string(&operation).unwrap_or_default();
        // A full disk must not stop the run; the error is reported at the end.
        if let Err(error) = writeln!(recorded.file, "{line}") {
            recorded.write_error.get_or_insert(error.to_string());
        }
        recorded.counts.add(&operation);
        recorded.operations.push(operation);
    }

    pub fn counts(&self) -> Counts {
        self.lock().counts
    }

    /// Flushes the file and hands over the operations.
    pub fn finish(&self) -> anyhow::Result<Vec<Operation>> {
        let mut recorded = self.lock();
        recorded.file.flush()?;
        if let Some(error) = &recorded.write_error {
            anyhow::bail!("writing the history failed: {error}");
        }
        Ok(std::mem::take(&mut recorded.operations))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recorded> {
        // A panicking client cannot leave the history half-updated (each update is one
        // push), so a poisoned lock is still good to use.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(answer: Answer) -> Attempt {
        Attempt {
            sent_ms: 0,
            answered_ms: 1,
            answer,
        }
    }

    fn operation(answers: Vec<Answer>) -> Operation {
        Operation {
            id: "c0-1".into(),
            kind: Kind::Post,
            key: "k".into(),
            post_id: None,
            text: "t [c0-1]".into(),
            attempts: answers.into_iter().map(attempt).collect(),
        }
    }

    #[test]
    fn outcome_is_acknowledged_if_any_attempt_got_201_else_unknown_if_any_was_open() {
        let unknown = || Answer::Unknown {
            reason: "timeout".into(),
        };
        let failed = || Answer::Failed {
            status: 503,
            error: "nothing was written".into(),
        };
        let created = || Answer::Created { id: "p1".into() };
        assert_eq!(
            operation(vec![unknown(), created()]).outcome(),
            Outcome::Acknowledged("p1".into())
        );
        assert_eq!(
            operation(vec![unknown(), failed()]).outcome(),
            Outcome::Unknown
        );
        assert_eq!(
            operation(vec![failed(), failed()]).outcome(),
            Outcome::Failed
        );
    }

    #[test]
    fn the_token_is_found_again_in_the_text() {
        assert_eq!(operation_in("an orange cat [c3-12]"), Some("c3-12"));
        assert_eq!(operation_in("no token"), None);
    }
}
