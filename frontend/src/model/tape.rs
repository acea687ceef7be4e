//! A stream's tape on the Streams page, as plain data: the messages loaded so far (oldest
//! first), the stream's two ends, and where each durable consumer stands among them.
//!
//! Query sends a page at a time (`GET /streams/{name}/messages`, see [`window`]); the
//! consumers' cursors come from the system view, which is live. Put together they make
//! "pending 4" visible: four rows after the consumer's cursor, up to the end.

use super::system::Consumer;
use std::collections::BTreeMap;

/// The shapes: the wire contract's, as query serializes them.
pub use contract::views::{TapeMessage, TapePage};

/// How many messages one page asks for.
pub const PAGE: u64 = 50;
/// How many rows a tape that follows the end keeps: the oldest go as newer arrive, so a
/// page left open under load stays light (the Older button brings them back).
pub const KEEP_FOLLOWING: usize = 200;

/// The query string of a page's window.
pub mod window {
    use super::PAGE;

    /// The newest messages.
    pub fn newest() -> String {
        format!("limit={PAGE}")
    }

    /// The page just before `seq` (the Older button).
    pub fn before(seq: u64) -> String {
        format!("before={seq}&limit={PAGE}")
    }

    /// The page from `seq` on (following the end, or the Newer button).
    pub fn from(seq: u64) -> String {
        format!("from={seq}&limit={PAGE}")
    }

    /// A page with `seq` in it, a few messages before it shown too (a link to one message).
    pub fn around(seq: u64) -> String {
        from(seq.saturating_sub(5).max(1))
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tape {
    pub stream: String,
    /// By sequence, each once.
    pub rows: Vec<TapeMessage>,
    /// The stream's ends as last known.
    pub first_seq: u64,
    pub last_seq: u64,
}

impl Tape {
    pub fn new(stream: &str) -> Tape {
        Tape {
            stream: stream.to_owned(),
            ..Tape::default()
        }
    }

    /// Takes in a page: its rows merged in by sequence (a row already shown is kept once),
    /// the stream's ends updated.
    pub fn merge(&mut self, page: TapePage) {
        self.first_seq = page.first_seq;
        self.last_seq = self.last_seq.max(page.last_seq);
        for message in page.messages {
            match self.rows.binary_search_by_key(&message.seq, |m| m.seq) {
                Ok(_) => {}
                Err(at) => self.rows.insert(at, message),
            }
        }
    }

    pub fn oldest(&self) -> Option<u64> {
        self.rows.first().map(|m| m.seq)
    }

    pub fn newest(&self) -> Option<u64> {
        self.rows.last().map(|m| m.seq)
    }

    /// Whether the stream holds messages older than the ones shown.
    pub fn has_older(&self) -> bool {
        self.oldest().is_some_and(|oldest| oldest > self.first_seq)
    }

    /// Whether the tape shows the stream's end, so it follows it as messages arrive.
    pub fn at_end(&self) -> bool {
        self.newest().unwrap_or(0) >= self.last_seq
    }

    /// The window to ask for when the stream's newest sequence is now `last_now`: the new
    /// messages, if the tape is at the end and there are any.
    pub fn to_follow(&self, last_now: u64) -> Option<String> {
        let newest = self.newest().unwrap_or(0);
        (self.at_end() && last_now > newest).then(|| window::from(newest + 1))
    }

    /// Drops the oldest rows beyond [`KEEP_FOLLOWING`].
    pub fn trim(&mut self) {
        let extra = self.rows.len().saturating_sub(KEEP_FOLLOWING);
        self.rows.drain(..extra);
    }
}

/// Where a consumer stands: everything up to `acked` is acknowledged, everything up to
/// `delivered` was handed to it; `pending` more are not delivered yet.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cursor {
    pub consumer: String,
    pub acked: u64,
    pub delivered: u64,
    pub pending: u64,
}

/// The consumers' cursors placed on the rows shown: each just after the last row it
/// acknowledged, or above them all when that is older than the rows shown.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Placed {
    pub above: Vec<Cursor>,
    /// By the sequence of the row the cursors follow.
    pub after: BTreeMap<u64, Vec<Cursor>>,
}

pub fn place_cursors(rows: &[TapeMessage], consumers: &[Consumer]) -> Placed {
    let mut placed = Placed::default();
    for c in consumers {
        let cursor = Cursor {
            consumer: c.name.clone(),
            acked: c.ack_floor_seq,
            delivered: c.delivered_seq,
            pending: c.pending,
        };
        // The last row at or before the floor.
        match rows.partition_point(|m| m.seq <= c.ack_floor_seq) {
            0 => placed.above.push(cursor),
            n => placed
                .after
                .entry(rows[n - 1].seq)
                .or_default()
                .push(cursor),
        }
    }
    placed
}

/// The consumers that have not acknowledged `message` yet, among those that read its
/// subject.
pub fn waiting_for(consumers: &[Consumer], message: &TapeMessage) -> Vec<String> {
    consumers
        .iter()
        .filter(|c| c.ack_floor_seq < message.seq && reads(c, &message.subject))
        .map(|c| c.name.clone())
        .collect()
}

/// Whether `consumer` reads messages on `subject` (its filters, NATS wildcards: `*` one
/// token, `>` the rest).
pub fn reads(consumer: &Consumer, subject: &str) -> bool {
    consumer.filters.is_empty() || consumer.filters.iter().any(|f| matches(f, subject))
}

fn matches(filter: &str, subject: &str) -> bool {
    let mut tokens = subject.split('.');
    for want in filter.split('.') {
        match (want, tokens.next()) {
            (">", Some(_)) => return true,
            ("*", Some(_)) => {}
            (want, Some(token)) if want == token => {}
            _ => return false,
        }
    }
    tokens.next().is_none()
}

/// The stream and message a `#streams/…` fragment names: `#streams`, `#streams/COMMENTS`,
/// `#streams/COMMENTS/17`.
pub fn target(hash: &str) -> (Option<String>, Option<u64>) {
    let mut parts = hash.trim_start_matches('#').split('/').skip(1);
    let stream = parts.next().filter(|s| !s.is_empty()).map(str::to_owned);
    let seq = parts.next().and_then(|s| s.parse().ok());
    (stream, seq)
}

/// The fragment of one message on its stream's tape (the timeline's links).
pub fn href(stream: &str, seq: u64) -> String {
    format!("#streams/{stream}/{seq}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(seq: u64, subject: &str) -> TapeMessage {
        TapeMessage {
            seq,
            time: "2026-12-01T10:00:00Z".parse().expect("a time"),
            subject: subject.into(),
            event_type: None,
            summary: String::new(),
            body: json!({}),
        }
    }

    fn page(first: u64, last: u64, seqs: &[u64]) -> TapePage {
        TapePage {
            stream: "COMMENTS".into(),
            first_seq: first,
            last_seq: last,
            messages: seqs.iter().map(|s| message(*s, "comments.x")).collect(),
        }
    }

    fn consumer(name: &str, acked: u64, filters: &[&str]) -> Consumer {
        Consumer {
            name: name.into(),
            pending: 0,
            ack_pending: 0,
            redelivered: 0,
            delivered_seq: acked,
            ack_floor_seq: acked,
            filters: filters.iter().map(|f| (*f).to_owned()).collect(),
        }
    }

    #[test]
    fn pages_merge_in_order_once_and_a_followed_tape_stays_short() {
        let mut tape = Tape::new("COMMENTS");
        assert!(tape.at_end(), "an empty tape follows the end");
        tape.merge(page(1, 60, &[11, 12, 13]));
        tape.merge(page(1, 60, &[9, 10, 11]));
        let seqs: Vec<u64> = tape.rows.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, [9, 10, 11, 12, 13]);
        assert!(tape.has_older());
        assert!(!tape.at_end(), "60 is the end, 13 is shown");
        assert_eq!(
            tape.to_follow(61),
            None,
            "not at the end: nothing is fetched"
        );

        let mut tape = Tape::new("COMMENTS");
        tape.merge(page(1, 3, &[1, 2, 3]));
        assert!(!tape.has_older());
        assert_eq!(tape.to_follow(3), None);
        assert_eq!(tape.to_follow(5).as_deref(), Some("from=4&limit=50"));
        let many: Vec<u64> = (4..=300).collect();
        tape.merge(page(1, 300, &many));
        tape.trim();
        assert_eq!(tape.rows.len(), KEEP_FOLLOWING);
        assert_eq!((tape.oldest(), tape.newest()), (Some(101), Some(300)));
        assert!(tape.has_older() && tape.at_end());
    }

    #[test]
    fn a_cursor_sits_after_what_its_consumer_acknowledged() {
        let rows = [
            message(4, "comments.CommentCreated.a"),
            message(5, "comments.CommentUpdated.a"),
            message(6, "comments.CommentCreated.b"),
        ];
        let consumers = [
            consumer("query-1", 6, &[]),
            consumer("moderation", 4, &["comments.CommentCreated.>"]),
            consumer("late", 1, &[]),
        ];
        let placed = place_cursors(&rows, &consumers);
        let names = |cursors: &[Cursor]| -> Vec<String> {
            cursors.iter().map(|c| c.consumer.clone()).collect()
        };
        assert_eq!(names(&placed.above), ["late"]);
        assert_eq!(names(&placed.after[&4]), ["moderation"]);
        assert_eq!(names(&placed.after[&6]), ["query-1"]);
        assert!(!placed.after.contains_key(&5));
        let waiting: Vec<Vec<String>> = rows.iter().map(|m| waiting_for(&consumers, m)).collect();
        assert_eq!(
            waiting,
            [vec!["late"], vec!["late"], vec!["moderation", "late"]],
            "moderation does not read CommentUpdated: 5 does not wait for it"
        );
    }

    #[test]
    fn subjects_match_filters_token_by_token() {
        assert!(matches(
            "comments.CommentCreated.>",
            "comments.CommentCreated.a.b"
        ));
        assert!(!matches(
            "comments.CommentCreated.>",
            "comments.CommentCreated"
        ));
        assert!(matches("work.*.2.>", "work.moderation.2.x"));
        assert!(!matches("work.*.2.>", "work.moderation.3.x"));
        assert!(matches("a.b", "a.b"));
        assert!(!matches("a.b", "a.b.c"));
        assert!(!matches("a.b.c", "a.b"));
    }

    #[test]
    fn the_fragment_names_a_stream_and_a_message() {
        assert_eq!(target("#streams"), (None, None));
        assert_eq!(target("#streams/COMMENTS"), (Some("COMMENTS".into()), None));
        assert_eq!(
            target(&href("MODERATION", 17)),
            (Some("MODERATION".into()), Some(17))
        );
        assert_eq!(target("#streams/POSTS/x"), (Some("POSTS".into()), None));
        assert_eq!(window::around(3), "from=1&limit=50");
        assert_eq!(window::around(17), "from=12&limit=50");
    }
}
