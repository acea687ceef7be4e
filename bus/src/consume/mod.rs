//! The durable consumer loop every service shares.
//!
//! One shape everywhere: `decode(message) -> Event`, then the service's own handler (which
//! decides with a pure `handle` and performs the effects in `interpret`), then the ack. The
//! ack comes only after the handler has finished, so a crash in between means the message is
//! delivered again (at-least-once) — which is why every handler is idempotent.
//!
//! Failures are bounded and visible:
//! - `Outcome::Retry` naks with a growing delay (the [`RetryPolicy`] backoff list). After
//!   `max_deliver` attempts JetStream stops redelivering and publishes a *max deliveries*
//!   advisory, which the DEADLETTERS stream records (see [`crate::deadletters`]).
//! - `Outcome::Reject`, and a message that is not a valid event, are terminated at once with
//!   the reason (`+TERM <reason>`); the *terminated* advisory is recorded the same way.
//!
//! Either way the consumer moves on: a poison message never blocks the ones behind it.
//!
//! A handler that works longer than the consumer's ack wait (a slow human moderator) keeps
//! its message by sending in-progress acks (`+WPI`) while it works; otherwise JetStream
//! would hand the same message out again while the first attempt is still running.
//!
//! A consumer deleted under a running service (from a NATS client, say) is noticed — the
//! server tells pending pulls "consumer deleted", and a stream that goes quiet without
//! heartbeats is checked — and created again; the log says so. While it cannot be opened,
//! the service's [`Progress`] says it is not reading, and `/health` is not ready.
//!
//! # Layout
//!
//! - this module: [`Outcome`], [`Delivery`] and [`consume`], the loop that opens the
//!   consumer, hands its messages to a worker, and opens it again when it goes away.
//! - [`durable`]: what a consumer is — [`Durable`] (stream, name, filter, ack wait,
//!   concurrency) and its [`RetryPolicy`].
//! - `open`: getting the consumer from the server — creating it if missing, bringing its
//!   settings up to date if they changed.
//! - `worker`: one message's life (decode, run the handler with in-progress acks, settle),
//!   and the serial path: one message at a time, in stream order. Read this first.
//! - `settle`: what each [`Outcome`] tells the server — ack, nak with a backoff, or
//!   terminate with a dead-letter note.
//! - `parallel`: ordered parallelism — messages about *different* entities (the last
//!   subject token, e.g. a comment id) handled at the same time, the messages about *one*
//!   entity still one after another, in stream order.

mod durable;
pub(crate) mod open;
mod parallel;
mod settle;
mod worker;

pub use durable::{Durable, RetryPolicy};

use crate::event::Event;
use crate::follow::pause;
use crate::progress::Progress;
use async_nats::jetstream;
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};
use worker::Worker;

/// What to do with a message once its handler is done.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The work is done: ack.
    Done,
    /// It failed for a reason that may pass (a broker hiccup, a flaky dependency): nak, and
    /// let JetStream redeliver after the policy's backoff for this attempt.
    Retry { reason: String },
    /// It can never succeed: terminate, so it is not redelivered (and is dead-lettered).
    Reject { reason: String },
}

impl Outcome {
    /// A retry because of `error`, with its whole cause chain as the reason: the reason is
    /// logged, and shown with the dead letter if every attempt fails.
    pub fn retry_because(error: &(dyn std::error::Error + 'static)) -> Outcome {
        Outcome::Retry {
            reason: cause_chain(error),
        }
    }
}

/// `error: its cause: its cause's cause`, as `anyhow`'s `{:#}` writes it.
pub fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Where the message came from, for the handler's logs and decisions.
#[derive(Clone, Copy, Debug)]
pub struct Delivery {
    pub stream_sequence: u64,
    /// 1 on the first delivery, 2 on the first redelivery, …
    pub attempt: i64,
}

/// Runs `durable` until `shutdown`, calling `handler` for each event. The consumer is
/// created if missing and resumes from its last ack if it exists. `progress` (if given)
/// records each handled sequence and when the backlog that existed at startup is done.
pub async fn consume<H, Fut>(
    js: jetstream::Context,
    durable: Durable,
    progress: Option<Progress>,
    shutdown: CancellationToken,
    handler: H,
) where
    H: Fn(Event, Delivery) -> Fut,
    Fut: Future<Output = Outcome>,
{
    let name = durable.name();
    let mut complained = false;
    while !shutdown.is_cancelled() {
        let messages = match open::open(&js, &durable, progress.as_ref()).await {
            Ok(messages) => messages,
            Err(error) => {
                if let Some(progress) = &progress {
                    progress.set_reading(false);
                }
                // Once per outage at warn level; the retries every half second at debug.
                if !std::mem::replace(&mut complained, true) {
                    warn!(consumer = %name, stream = durable.stream, %error,
                        "cannot open the consumer; retrying until it works");
                } else {
                    debug!(consumer = %name, %error, "cannot open the consumer yet");
                }
                pause(&shutdown, Duration::from_millis(500)).await;
                continue;
            }
        };
        complained = false;
        if let Some(progress) = &progress {
            progress.set_reading(true);
        }
        info!(consumer = %name, stream = durable.stream, concurrency = durable.concurrency,
            "consuming");
        let worker = Worker {
            js: &js,
            name: &name,
            durable: &durable,
            progress: progress.as_ref(),
            handler: &handler,
        };
        if worker.run(messages, &shutdown).await == Ended::Shutdown {
            return;
        }
        pause(&shutdown, Duration::from_millis(200)).await;
    }
}

#[derive(PartialEq)]
pub(crate) enum Ended {
    Shutdown,
    StreamClosed,
}

/// The entity a message is about: the last token of its subject (`…CommentCreated.<id>`).
pub fn entity_of(subject: &str) -> &str {
    subject.rsplit('.').next().unwrap_or(subject)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_reason_keeps_the_whole_cause_chain() {
        #[derive(Debug, thiserror::Error)]
        #[error("cannot ask the stream")]
        struct Outer(#[source] std::io::Error);
        let error = Outer(std::io::Error::other("timed out"));
        assert_eq!(
            Outcome::retry_because(&error),
            Outcome::Retry {
                reason: "cannot ask the stream: timed out".into()
            }
        );
    }

    #[test]
    fn the_entity_is_the_last_subject_token() {
        assert_eq!(entity_of("comments.CommentCreated.abc"), "abc");
        assert_eq!(entity_of("plain"), "plain");
    }
}
