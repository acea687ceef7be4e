//! Exercise 06 — serial, parallel, hybrid. (Read `workshop/06-ordered-parallelism/README.md`
//! first.)
//!
//! A dispatcher for a consumer's messages. Serial (one at a time) keeps every key's order
//! but wastes the other workers; fully parallel uses them all but lets two messages about
//! the same comment race. This one is fully parallel: make it *hybrid* — messages with
//! different keys at the same time (up to `limit`), messages with the same key one after
//! another, in the order given.
//!
//! Only this file is yours to change. `make check EX=06` runs `tests/check.rs`.

use futures::stream::{self, StreamExt};
use std::future::Future;

/// One message: the key it is about (a comment id, say) and its place in the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub key: String,
    pub sequence: u64,
}

/// Runs `handle` on every message, at most `limit` at a time.
pub async fn dispatch<F, Fut>(messages: Vec<Message>, limit: usize, handle: F)
where
    F: Fn(Message) -> Fut,
    Fut: Future<Output = ()>,
{
    stream::iter(messages)
        .map(&handle)
        .buffer_unordered(limit.max(1))
        .collect::<Vec<()>>()
        .await;
}
