//! What the page says about a dead letter's automatic retries, and about a comment whose
//! moderation gave up.
//!
//! Query re-drives a dead letter a bounded number of times, each after a longer delay,
//! then leaves it to a person. It sends where each letter stands (`redrive` in `/system`,
//! and the `moderation` field of a stuck comment in `/posts`); the next retry comes as a
//! time, and the page counts down to it with its own clock.

use super::time;

/// The shapes: the wire contract's, as query serializes them.
pub use contract::views::{ModerationIssue, Redrive, RedriveState};

/// What the page says about a letter's automatic retries.
pub trait RedriveText {
    /// The System view's line for a letter.
    fn system_text(&self, now_ms: i64) -> String;
}

/// What the page says under a comment whose moderation gave up.
pub trait IssueText {
    /// The line under the comment, counted down from `now_ms`.
    fn text(&self, now_ms: i64) -> String;
}

/// "attempt 2 of 3, next in 45 s", counted down from `now_ms` (ms since 1970).
fn next_attempt(redrive: &Redrive, now_ms: i64) -> String {
    let due = redrive.next_retry_at.map(|at| at.timestamp_millis());
    let when = due.map_or_else(|| "soon".to_owned(), |due| time::countdown(due - now_ms));
    let when = if when.starts_with("in ") {
        format!("next {when}")
    } else {
        format!("next one {when}")
    };
    format!(
        "attempt {} of {}, {when}",
        redrive.retries + 1,
        redrive.max_retries
    )
}

impl RedriveText for Redrive {
    fn system_text(&self, now_ms: i64) -> String {
        match self.state {
            RedriveState::Scheduled => {
                format!("Retried automatically: {}.", next_attempt(self, now_ms))
            }
            RedriveState::Retried => "Retried: its message is back in the stream.".to_owned(),
            RedriveState::Exhausted => format!(
                "Gave up for good after {} automatic {}: a person must look, then Retry.",
                self.max_retries,
                if self.max_retries == 1 {
                    "retry"
                } else {
                    "retries"
                }
            ),
            RedriveState::Manual | RedriveState::Other => {
                "Not retried automatically: a person must look, then Retry.".to_owned()
            }
        }
    }
}

impl IssueText for ModerationIssue {
    fn text(&self, now_ms: i64) -> String {
        let who = if self.consumer == "comments" {
            "Applying the moderation decision gave up"
        } else {
            "Moderation gave up"
        };
        let why = self
            .error
            .as_deref()
            .map(|e| e.trim().trim_end_matches('.').to_owned())
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| "no reason was recorded".to_owned());
        let next = match self.redrive.state {
            RedriveState::Scheduled => {
                format!(
                    "It is retried automatically ({}).",
                    next_attempt(&self.redrive, now_ms)
                )
            }
            RedriveState::Exhausted => format!(
                "Automatic retries exhausted ({0} of {0}): use Retry in the System view.",
                self.redrive.max_retries
            ),
            _ => "It is not retried automatically: use Retry in the System view.".to_owned(),
        };
        format!("{who}: {why}. {next}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn issue(json: &str) -> ModerationIssue {
        serde_json::from_str(json).expect("valid")
    }

    #[test]
    fn a_scheduled_retry_counts_down_to_its_time() {
        let issue = issue(
            r#"{"gaveUp":true,"deadLetter":9,"consumer":"moderation","error":"simulated failure.",
                "state":"scheduled","retries":1,"maxRetries":3,"nextRetryAt":"2027-01-15T08:00:45Z"}"#,
        );
        assert_eq!(
            issue.text(NOW),
            "Moderation gave up: simulated failure. It is retried automatically (attempt 2 of 3, next in 45 s)."
        );
        assert_eq!(
            issue.text(NOW + 60_000),
            "Moderation gave up: simulated failure. It is retried automatically (attempt 2 of 3, next one any moment now)."
        );
        assert_eq!(
            issue.redrive.system_text(NOW),
            "Retried automatically: attempt 2 of 3, next in 45 s."
        );
    }

    #[test]
    fn exhausted_retries_send_the_reader_to_the_system_view() {
        let issue = issue(
            r#"{"gaveUp":true,"deadLetter":9,"consumer":"comments","state":"exhausted","retries":3,"maxRetries":3}"#,
        );
        assert_eq!(
            issue.text(NOW),
            "Applying the moderation decision gave up: no reason was recorded. \
             Automatic retries exhausted (3 of 3): use Retry in the System view."
        );
        assert_eq!(
            issue.redrive.system_text(NOW),
            "Gave up for good after 3 automatic retries: a person must look, then Retry."
        );
    }

    #[test]
    fn a_letter_never_retried_automatically_says_so() {
        let manual =
            issue(r#"{"deadLetter":1,"error":"bad","state":"manual","retries":0,"maxRetries":3}"#);
        assert!(manual
            .text(NOW)
            .ends_with("It is not retried automatically: use Retry in the System view."));
        let odd = issue(r#"{"deadLetter":1,"state":"somethingNew"}"#);
        assert_eq!(odd.redrive.state, RedriveState::Other);
    }
}
