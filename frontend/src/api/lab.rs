//! The recovery lab's calls to query: one comment's timeline, and retrying a dead letter.
//! (The system view itself arrives as live events, see [`crate::live`].)

use super::encode_segment;
use crate::config::Config;
use crate::model::timeline::Timeline;
use gloo_net::http::{Request, RequestBuilder};
use serde::{de::DeserializeOwned, Deserialize};

/// Query's answer to a retry: the original message is back in its stream.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Retried {
    pub dead_letter: u64,
    pub stream: String,
    /// Where the copy landed in `stream`.
    pub republished_sequence: u64,
}

/// Why a call to query did not give what was asked for.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryFailure {
    /// No answer at all: query is down, or the browser refused the answer.
    Unreachable,
    /// An error status, with query's own `{"error": "..."}` if it sent one.
    Answered {
        status: u16,
        message: Option<String>,
    },
    /// A success status with a body that is not what the contract says.
    Unreadable,
}

impl QueryFailure {
    /// Query does not know the thing asked about (yet).
    pub fn is_not_found(&self) -> bool {
        matches!(self, QueryFailure::Answered { status: 404, .. })
    }

    /// Worded for a timeline that could not be shown.
    pub fn timeline_text(&self) -> String {
        match self {
            QueryFailure::Answered { status: 404, .. } => {
                "Query has not recorded this comment yet.".to_owned()
            }
            other => other.common_text(),
        }
    }

    /// Worded for a dead letter that was not retried.
    pub fn retry_text(&self) -> String {
        const NOT: &str = "Not retried:";
        match self {
            QueryFailure::Unreachable => {
                format!("{NOT} could not reach the query service; it may be down. Try again in a moment.")
            }
            QueryFailure::Answered { status: 404, .. } => {
                format!("{NOT} query knows no dead letter with this id.")
            }
            QueryFailure::Answered {
                status: 410,
                message,
            } => format!(
                "{NOT} {}",
                super::sentence(
                    message
                        .as_deref()
                        .unwrap_or("the original message is gone from its stream")
                )
            ),
            QueryFailure::Answered {
                status: 503,
                message,
            } => format!(
                "{NOT} {} Try again in a moment.",
                super::sentence(
                    message
                        .as_deref()
                        .unwrap_or("the event broker is unavailable")
                )
            ),
            other => format!("{NOT} {}", other.common_text()),
        }
    }

    fn common_text(&self) -> String {
        match self {
            QueryFailure::Unreachable => {
                "Could not reach the query service; it may be down.".to_owned()
            }
            QueryFailure::Answered {
                status: 503,
                message,
            } => {
                let why = message
                    .as_deref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default();
                format!("The query service is unavailable right now{why}.")
            }
            QueryFailure::Answered {
                status,
                message: Some(m),
            } => {
                format!(
                    "The query service answered with an error ({status}): {}",
                    super::sentence(m)
                )
            }
            QueryFailure::Answered {
                status,
                message: None,
            } => {
                format!("The query service answered with an error ({status}).")
            }
            QueryFailure::Unreadable => {
                "The query service answered in a way this page does not understand.".to_owned()
            }
        }
    }
}

/// `GET {query}/comments/{id}/timeline`.
pub async fn timeline(config: &Config, comment_id: &str) -> Result<Timeline, QueryFailure> {
    let url = format!(
        "{}/comments/{}/timeline",
        config.query,
        encode_segment(comment_id)
    );
    send(Request::get(&url)).await
}

/// `POST {query}/deadletters/{id}/retry`: puts the original message back in its stream.
pub async fn retry_dead_letter(config: &Config, id: u64) -> Result<Retried, QueryFailure> {
    let url = format!("{}/deadletters/{id}/retry", config.query);
    send(Request::post(&url)).await
}

async fn send<T: DeserializeOwned>(request: RequestBuilder) -> Result<T, QueryFailure> {
    let response = request
        .send()
        .await
        .map_err(|_| QueryFailure::Unreachable)?;
    if response.ok() {
        return response
            .json::<T>()
            .await
            .map_err(|_| QueryFailure::Unreadable);
    }
    let status = response.status();
    let message = response
        .json::<super::ErrorBody>()
        .await
        .ok()
        .map(|b| b.error);
    Err(QueryFailure::Answered { status, message })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16, message: &str) -> QueryFailure {
        QueryFailure::Answered {
            status,
            message: Some(message.into()),
        }
    }

    #[test]
    fn a_timeline_query_has_not_seen_yet_says_so() {
        let missing = answered(404, "there is no comment with id \"c1\"");
        assert!(missing.is_not_found());
        assert_eq!(
            missing.timeline_text(),
            "Query has not recorded this comment yet."
        );
        assert_eq!(
            QueryFailure::Unreachable.timeline_text(),
            "Could not reach the query service; it may be down."
        );
    }

    #[test]
    fn a_failed_retry_says_nothing_was_retried_and_why() {
        assert_eq!(
            answered(410, "the original message is no longer in COMMENTS").retry_text(),
            "Not retried: The original message is no longer in COMMENTS."
        );
        assert_eq!(
            answered(503, "the event broker is unavailable (not connected to nats-server)").retry_text(),
            "Not retried: The event broker is unavailable (not connected to nats-server). Try again in a moment."
        );
        assert_eq!(
            answered(404, "there is no dead letter \"7\"").retry_text(),
            "Not retried: query knows no dead letter with this id."
        );
        assert!(QueryFailure::Unreachable
            .retry_text()
            .starts_with("Not retried: could not reach"));
        assert_eq!(
            QueryFailure::Answered {
                status: 500,
                message: None
            }
            .retry_text(),
            "Not retried: The query service answered with an error (500)."
        );
    }

    #[test]
    fn reads_a_retry_answer() {
        let json = r#"{"deadLetter":3,"stream":"COMMENTS","republishedSequence":42}"#;
        let r: Retried = serde_json::from_str(json).expect("valid");
        assert_eq!((r.dead_letter, r.republished_sequence), (3, 42));
    }
}
