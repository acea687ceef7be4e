//! Replaying and following the streams into the read model: query's consumers.
//!
//! The same steps as every consumer here, for a projection: decode (in `bus`) → handle: fold
//! the event into the read model ([`ReadModel::apply`], pure, and it names the post that
//! changed) → interpret: announce that post to live clients ([`Changes::announce`]) → ack
//! (in `bus`, batched). A projection cannot fail, so there is nothing to retry.
//!
//! The read model lives only in memory, so every start rebuilds it from the whole history,
//! in two legs per stream (POSTS, COMMENTS and MODERATION):
//!
//! 1. **Replay**: the history as it stands at startup — up to the stream's last sequence
//!    then, `end` — is read with an *ordered* consumer ([`bus::follow::replay`]): no acks,
//!    flow controlled by the server, the fastest way to read a log.
//! 2. **Follow**: a *durable* consumer named after this instance, created to start at
//!    `end + 1`, takes over. Nothing falls between the legs and nothing is read twice: the
//!    replay stops at `end` and the durable starts after it, whatever was published
//!    meanwhile. The durable is what lets `make status` and `/system` show query's backlog
//!    while it is down. (At startup the old one is deleted first: its position belongs to a
//!    read model that died with the last run.)
//!
//! MODERATION is read only for the comments' timelines: `CommentUpdated` already carries
//! each outcome.
//!
//! The server deletes a query consumer nobody has pulled from for [`FORGET_AFTER`]: an
//! instance that is gone for good (one started on another port for an experiment) leaves
//! nothing behind for long.
//!
//! DEADLETTERS is followed with an ordered consumer: it is a log to show, not work to do.

use crate::dead_letters::DeadLetters;
use crate::live::Changes;
use crate::projection::ReadModel;
use crate::records::Record;
use async_nats::jetstream;
use async_nats::jetstream::stream::ConsumerErrorKind;
use bus::consume::{consume, Durable, Outcome};
use bus::progress::Progress;
use bus::{Event, StreamDef};
use parking_lot::RwLock;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How many events one ack confirms during a replay.
const ACK_EVERY: u64 = 512;

/// How long the consumers of a stopped instance are kept (and show its backlog).
pub const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);

/// The event streams query reads.
pub const STREAMS: [StreamDef; 3] = [StreamDef::Posts, StreamDef::Comments, StreamDef::Moderation];

/// Deletes this instance's old consumer on `stream`, retrying while the broker is away, so
/// the next `consume` starts from the first event.
pub async fn start_over(js: &jetstream::Context, stream: StreamDef, name: &str) {
    loop {
        match js.delete_consumer_from_stream(name, stream.name()).await {
            Ok(_) => return,
            Err(error) if is_not_found(&error) => return,
            Err(error) => {
                tracing::warn!(stream = stream.name(), %error, "cannot reset the consumer; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

fn is_not_found(error: &jetstream::stream::ConsumerError) -> bool {
    matches!(error.kind(), ConsumerErrorKind::JetStream(e)
        if e.error_code() == jetstream::ErrorCode::CONSUMER_NOT_FOUND)
}

/// Replays `stream` into `model`, then follows it live until `shutdown`, announcing each
/// changed post.
pub async fn follow_into(
    js: jetstream::Context,
    stream: StreamDef,
    name: String,
    model: Arc<RwLock<ReadModel>>,
    changes: Changes,
    progress: Progress,
    shutdown: CancellationToken,
) {
    let Some(end) = history_end(&js, stream, &progress, &shutdown).await else {
        return;
    };
    let replayed = |event: Event, sequence| {
        on_event(&event, (stream, sequence), &model, &changes);
    };
    let replay_shutdown = shutdown.clone();
    bus::follow::replay(
        js.clone(),
        stream,
        &name,
        end,
        progress.clone(),
        replay_shutdown,
        replayed,
    )
    .await;
    // The projection cannot fail and is rebuilt on every start anyway: ack in batches.
    let mut durable = Durable::new(stream, &name, None)
        .with_batched_acks(ACK_EVERY)
        .starting_at(end + 1);
    durable.config.inactive_threshold = FORGET_AFTER;
    consume(js, durable, Some(progress), shutdown, |event, delivery| {
        let stored_at = (stream, delivery.stream_sequence);
        std::future::ready(on_event(&event, stored_at, &model, &changes))
    })
    .await
}

/// The last sequence `stream` holds now: where the replay ends and the durable takes over.
/// Asked until the broker answers (`None` at shutdown); not ready meanwhile.
async fn history_end(
    js: &jetstream::Context,
    stream: StreamDef,
    progress: &Progress,
    shutdown: &CancellationToken,
) -> Option<u64> {
    loop {
        match js.get_stream(stream.name()).await {
            Ok(handle) => return Some(handle.cached_info().state.last_sequence),
            Err(error) => {
                progress.set_reading(false);
                tracing::warn!(stream = stream.name(), %error, "cannot ask where the history ends; retrying");
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return None,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

/// One event, stored at `stored_at`: folded into the model; the post it changed, if any,
/// announced.
fn on_event(
    event: &Event,
    stored_at: (StreamDef, u64),
    model: &RwLock<ReadModel>,
    changes: &Changes,
) -> Outcome {
    // Announced under the same write lock, so live clients see changes in stream order.
    let mut model = model.write();
    if let Some(post) = model.apply_stored(event, Some(stored_at)) {
        changes.announce(&model, post);
    }
    Outcome::Done
}

/// Follows DEADLETTERS into `letters` until `shutdown`; a letter about a comment changes
/// that comment's post view (it says why moderation gave up), so it is announced.
pub async fn follow_dead_letters(
    js: jetstream::Context,
    letters: Arc<RwLock<DeadLetters>>,
    model: Arc<RwLock<ReadModel>>,
    changes: Changes,
    progress: Progress,
    shutdown: CancellationToken,
) {
    let stream = bus::deadletters::STREAM;
    bus::follow::follow_messages(
        js,
        stream,
        "query",
        progress,
        shutdown,
        |subject, payload, sequence| {
            let Some(record) = Record::parse(subject, payload, sequence) else {
                return;
            };
            // The letters' lock is released before the model's is taken (the order is model,
            // then letters, everywhere).
            let changed = letters.write().apply(record);
            if let Some(comment) = changed {
                changes.announce_comment(&model.read(), comment);
            }
        },
    )
    .await
}
