//! The recovery lab's calls to query: one comment's timeline, and retrying dead letters.
//! (The system view itself arrives as live events, see [`crate::live`].)

use super::encode_segment;
use crate::config::Config;
use crate::model::timeline::Timeline;
use gloo_net::http::Request;
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
    let request = Request::get(&url)
        .build()
        .map_err(|_| QueryFailure::Unreadable)?;
    send(request).await
}

/// Query's answer to "retry all": what went back into its stream, and what could not.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct RetriedAll {
    pub retried: Vec<Retried>,
    #[serde(default)]
    pub failed: Vec<NotRetried>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotRetried {
    pub dead_letter: u64,
    pub error: String,
}

impl RetriedAll {
    /// What the panel says after "Retry all".
    pub fn text(&self) -> String {
        let retried = match self.retried.len() {
            0 => "Nothing to retry: every dead letter was already retried.".to_owned(),
            1 => "1 dead letter put back into its stream.".to_owned(),
            n => format!("{n} dead letters put back into their streams."),
        };
        match self.failed.len() {
            0 => retried,
            n => format!(
                "{retried} {n} could not be: {}",
                super::sentence(&self.failed[0].error)
            ),
        }
    }
}

/// `POST {query}/deadletters/{id}/retry`: puts the original message back in its stream.
pub async fn retry_dead_letter(config: &Config, id: u64) -> Result<Retried, QueryFailure> {
    let url = format!("{}/deadletters/{id}/retry", config.query);
    send(json_post(&url)?).await
}

/// `POST {query}/deadletters/retry-all`: every dead letter not retried yet.
pub async fn retry_all(config: &Config) -> Result<RetriedAll, QueryFailure> {
    let url = format!("{}/deadletters/retry-all", config.query);
    send(json_post(&url)?).await
}

/// A POST with the body `{}`: query's retries want JSON, so that a plain form on another
/// site cannot trigger them (a script's JSON makes the browser ask query first, and query
/// allows only this page's origin).
fn json_post(url: &str) -> Result<Request, QueryFailure> {
    Request::post(url)
        .json(&serde_json::json!({}))
        .map_err(|_| QueryFailure::Unreadable)
}

async fn send<T: DeserializeOwned>(request: Request) -> Result<T, QueryFailure> {
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
    fn a_retry_all_answer_says_how_many_went_back_and_what_failed() {
        let json = r#"{"retried":[{"deadLetter":3,"stream":"COMMENTS","republishedSequence":42},
            {"deadLetter":4,"stream":"COMMENTS","republishedSequence":43}],
            "failed":[{"deadLetter":5,"error":"the original message is no longer in COMMENTS"}]}"#;
        let all: RetriedAll = serde_json::from_str(json).expect("valid");
        assert_eq!(
            all.text(),
            "2 dead letters put back into their streams. 1 could not be: The original message is no longer in COMMENTS."
        );
        let none = RetriedAll {
            retried: vec![],
            failed: vec![],
        };
        assert_eq!(
            none.text(),
            "Nothing to retry: every dead letter was already retried."
        );
    }

    #[test]
    fn reads_a_retry_answer() {
        let json = r#"{"deadLetter":3,"stream":"COMMENTS","republishedSequence":42}"#;
        let r: Retried = serde_json::from_str(json).expect("valid");
        assert_eq!((r.dead_letter, r.republished_sequence), (3, 42));
    }
}
