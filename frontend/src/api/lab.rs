//! The recovery lab's calls to query: one comment's timeline, a page of a stream's tape, and
//! retrying dead letters. (The system view itself arrives as live events, see [`crate::live`].)

use super::error::sentence;
use super::{encode_segment, get, json_post, send, ApiError, Call};
use crate::config::Config;
use crate::model::tape::TapePage;
use crate::model::timeline::Timeline;

/// Query's answers to retries: the wire contract's shapes.
pub use contract::api::{NotRetried, Retried, RetriedAll};

/// `GET {query}/comments/{id}/timeline`.
pub async fn timeline(config: &Config, comment_id: &str) -> Result<Timeline, ApiError> {
    let url = format!(
        "{}/comments/{}/timeline",
        config.query,
        encode_segment(comment_id)
    );
    send(Call::Timeline, get(Call::Timeline, &url)?).await
}

/// `GET {query}/streams/{stream}/messages?{window}`: one page of a stream's tape;
/// `window` is `before=N`, `from=N` or empty (the newest), as [`crate::model::tape`] asks.
pub async fn tape(config: &Config, stream: &str, window: &str) -> Result<TapePage, ApiError> {
    let url = format!(
        "{}/streams/{}/messages?{window}",
        config.query,
        encode_segment(stream)
    );
    send(Call::Tape, get(Call::Tape, &url)?).await
}

/// Query's answer to "retry all": what went back into its stream, and what could not.
/// What the panel says after "Retry all".
pub trait RetryAllText {
    fn text(&self) -> String;
}

impl RetryAllText for RetriedAll {
    fn text(&self) -> String {
        let retried = match self.retried.len() {
            0 => "Nothing to retry: every dead letter was already retried.".to_owned(),
            1 => "1 dead letter put back into its stream.".to_owned(),
            n => format!("{n} dead letters put back into their streams."),
        };
        match self.failed.len() {
            0 => retried,
            n => format!(
                "{retried} {n} could not be: {}",
                sentence(&self.failed[0].error)
            ),
        }
    }
}

/// `POST {query}/deadletters/{id}/retry`: puts the original message back in its stream.
pub async fn retry_dead_letter(config: &Config, id: u64) -> Result<Retried, ApiError> {
    let url = format!("{}/deadletters/{id}/retry", config.query);
    let call = Call::RetryDeadLetter;
    send(call, json_post(call, &url, None, &Empty {})?).await
}

/// `POST {query}/deadletters/retry-all`: every dead letter not retried yet.
pub async fn retry_all(config: &Config) -> Result<RetriedAll, ApiError> {
    let url = format!("{}/deadletters/retry-all", config.query);
    let call = Call::RetryAll;
    send(call, json_post(call, &url, None, &Empty {})?).await
}

/// The body `{}`: query's retries want JSON, so that a plain form on another site cannot
/// trigger them (a script's JSON makes the browser ask query first, and query allows only
/// this page's origin).
type Empty = contract::api::RetryRequest;

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_retry_asks_with_an_empty_json_object() {
        assert_eq!(serde_json::to_string(&Empty {}).expect("serializes"), "{}");
    }

    #[test]
    fn reads_a_retry_answer() {
        let json = r#"{"deadLetter":3,"stream":"COMMENTS","republishedSequence":42}"#;
        let r: Retried = serde_json::from_str(json).expect("valid");
        assert_eq!((r.dead_letter, r.republished_sequence), (3, 42));
    }
}
