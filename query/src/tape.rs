//! The tape of the Streams page: a stream's stored messages, one page at a time, read by
//! sequence (`GET /streams/{name}/messages`).
//!
//! A page is a window of sequences, asked of the stream one message at a time (a few at
//! once): the cost is the page's size, never the stream's, so a stream of a million messages
//! opens as fast as one of ten. The consumers' cursors drawn on the tape come from the system
//! view (`/system`), which already says each consumer's delivered and acknowledged floors.
//!
//! Query reads the tape with its own user, which may get messages of the streams shown and
//! nothing else (`$JS.API.STREAM.MSG.GET.<stream>` in `nats/auth.conf`).

use async_nats::connection::State;
use async_nats::jetstream;
use async_nats::jetstream::stream::RawMessageErrorKind;
use chrono::{DateTime, Utc};
use futures::{stream, StreamExt};
use serde_json::Value;
use std::ops::RangeInclusive;
use web::ApiError;

pub use contract::views::{TapeMessage, TapePage};

/// The page size when none is asked for, and the largest one may ask for.
pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

/// How many messages are asked of the broker at once.
const IN_FLIGHT: usize = 16;

/// Which sequences a page covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// The newest messages.
    Newest,
    /// The messages just before this sequence (paging back, towards the oldest).
    Before(u64),
    /// The messages from this sequence on (paging forward, or following the end).
    From(u64),
}

impl Window {
    /// The sequences to read, `low..=high`, for a stream holding `first..=last` now (none
    /// when the window holds no message).
    fn range(self, limit: u64, first: u64, last: u64) -> Option<RangeInclusive<u64>> {
        let (low, high) = match self {
            Window::Newest => (last.saturating_sub(limit - 1), last),
            Window::Before(before) => {
                let high = before.saturating_sub(1).min(last);
                (high.saturating_sub(limit - 1), high)
            }
            Window::From(from) => {
                let low = from.max(first);
                (low, low.saturating_add(limit - 1).min(last))
            }
        };
        let low = low.max(first).max(1);
        (last > 0 && low <= high).then_some(low..=high)
    }
}

/// Reads `?before=`, `?from=` and `?limit=` (at most one of the first two).
pub fn parse_query(query: Option<&str>) -> Result<(Window, u64), ApiError> {
    let (mut window, mut limit) = (Window::Newest, DEFAULT_LIMIT);
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let number = || {
            value.parse::<u64>().map_err(|_| {
                ApiError::bad_request(format!("{key} must be a whole number, not {value:?}"))
            })
        };
        match key {
            "before" | "from" if window != Window::Newest => {
                return Err(ApiError::bad_request(
                    "ask for one of before and from, not both",
                ))
            }
            "before" => window = Window::Before(number()?),
            "from" => window = Window::From(number()?),
            "limit" => limit = number()?,
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown parameter {other:?}: the tape takes before, from and limit"
                )))
            }
        }
    }
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be from 1 to {MAX_LIMIT}"
        )));
    }
    Ok((window, limit))
}

/// One page of `name`'s messages, oldest first.
pub async fn page(
    js: &jetstream::Context,
    name: &str,
    window: Window,
    limit: u64,
) -> Result<TapePage, ApiError> {
    let unavailable = || ApiError::unavailable("the broker cannot be reached; try again shortly");
    if js.client().connection_state() != State::Connected {
        return Err(unavailable());
    }
    let stream = js.get_stream(name).await.map_err(|error| {
        tracing::warn!(stream = name, %error, "no stream info for the tape");
        unavailable()
    })?;
    let (first, last) = {
        let state = &stream.cached_info().state;
        (state.first_sequence, state.last_sequence)
    };
    let read = stream::iter(window.range(limit, first, last).into_iter().flatten())
        .map(|seq| {
            let stream = &stream;
            async move { (seq, stream.get_raw_message(seq).await) }
        })
        .buffered(IN_FLIGHT)
        .collect::<Vec<_>>()
        .await;
    let mut messages = Vec::with_capacity(read.len());
    for (seq, answer) in read {
        match answer {
            Ok(message) => {
                let (secs, nanos) = (message.time.unix_timestamp(), message.time.nanosecond());
                let time = DateTime::<Utc>::from_timestamp(secs, nanos).unwrap_or_default();
                let subject = message.subject.to_string();
                messages.push(tape_message(seq, time, subject, &message.payload));
            }
            // A message deleted from the middle of a stream leaves a gap in its sequences;
            // anything else means the broker did not answer.
            Err(error) if error.kind() == RawMessageErrorKind::NoMessageFound => {}
            Err(error) => {
                tracing::warn!(stream = name, seq, %error, "cannot read a message for the tape");
                return Err(unavailable());
            }
        }
    }
    Ok(TapePage {
        stream: name.to_owned(),
        first_seq: first,
        last_seq: last,
        messages,
    })
}

/// What the tape shows of one message: all of it, and a summary.
fn tape_message(seq: u64, time: DateTime<Utc>, subject: String, payload: &[u8]) -> TapeMessage {
    let body = serde_json::from_slice::<Value>(payload)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(payload).into_owned()));
    TapeMessage {
        seq,
        time,
        subject,
        event_type: body["type"].as_str().map(str::to_owned),
        summary: summary(&body),
        body,
    }
}

/// A few words about a message: the title of a post, the words and status of a comment,
/// the reason of a dead-letter note.
fn summary(body: &Value) -> String {
    let data = &body["data"];
    let mut words = Vec::new();
    if let Some(title) = data["title"].as_str() {
        words.push(quoted(title));
    }
    if let Some(content) = data["content"].as_str() {
        words.push(quoted(content));
    }
    if let Some(status) = data["status"].as_str() {
        words.push(status.to_owned());
    }
    if words.is_empty() {
        if let Some(error) = body["error"].as_str() {
            words.push(quoted(error));
        }
    }
    words.join(" ")
}

/// A text in quotes, cut at 60 characters.
fn quoted(text: &str) -> String {
    const LONGEST: usize = 60;
    match text.char_indices().nth(LONGEST) {
        Some((cut, _)) => format!("\u{201c}{}\u{2026}\u{201d}", &text[..cut]),
        None => format!("\u{201c}{text}\u{201d}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_window_is_the_page_it_names_within_the_stream() {
        // A stream holding 5..=120, pages of 50.
        let range = |w: Window| w.range(50, 5, 120).map(|r| (*r.start(), *r.end()));
        assert_eq!(range(Window::Newest), Some((71, 120)));
        assert_eq!(range(Window::Before(71)), Some((21, 70)));
        assert_eq!(
            range(Window::Before(21)),
            Some((5, 20)),
            "the oldest page is short"
        );
        assert_eq!(range(Window::Before(5)), None, "nothing before the first");
        assert_eq!(range(Window::From(100)), Some((100, 120)));
        assert_eq!(
            range(Window::From(1)),
            Some((5, 54)),
            "from before the first"
        );
        assert_eq!(range(Window::From(121)), None, "following the end");
        assert_eq!(range(Window::Before(u64::MAX)), Some((71, 120)));
        assert_eq!(Window::Newest.range(50, 0, 0), None, "an empty stream");
        assert_eq!(Window::Newest.range(50, 1, 3), Some(1..=3));
    }

    #[test]
    fn the_query_names_one_window_and_a_bounded_limit() {
        assert_eq!(
            parse_query(None).ok(),
            Some((Window::Newest, DEFAULT_LIMIT))
        );
        assert_eq!(
            parse_query(Some("before=40&limit=10")).ok(),
            Some((Window::Before(40), 10))
        );
        assert_eq!(
            parse_query(Some("from=7")).ok(),
            Some((Window::From(7), DEFAULT_LIMIT))
        );
        let refused = |q: &str| parse_query(Some(q)).err().map(|e| e.message);
        assert!(refused("before=1&from=2").is_some_and(|m| m.contains("not both")));
        assert!(refused("limit=0").is_some_and(|m| m.contains("limit")));
        assert!(refused("limit=201").is_some_and(|m| m.contains("200")));
        assert!(refused("from=-3").is_some_and(|m| m.contains("whole number")));
        assert!(refused("after=3").is_some_and(|m| m.contains("unknown parameter")));
    }

    #[test]
    fn a_message_is_read_whole_with_a_summary() {
        let event = json!({"type": "CommentCreated", "data": {"content": "x".repeat(70), "status": "pending"}});
        let payload = serde_json::to_vec(&event).expect("json");
        let read = tape_message(3, Utc::now(), "comments.x".into(), &payload);
        assert_eq!(read.event_type.as_deref(), Some("CommentCreated"));
        assert_eq!(read.body, event);
        assert!(
            read.summary.ends_with("\u{2026}\u{201d} pending"),
            "{}",
            read.summary
        );
        let not_json = tape_message(4, Utc::now(), "comments.x".into(), b"\xffoops");
        assert_eq!(not_json.event_type, None);
        assert!(not_json.body.as_str().is_some_and(|s| s.ends_with("oops")));
    }
}
