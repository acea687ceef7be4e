//! Replaying and following the streams into the read model: query's consumers.
//!
//! The same steps as every consumer here, for a projection: decode (in `bus`) → handle: fold
//! the event into the read model ([`ReadModel::apply`], pure, and it names the post that
//! changed) → interpret: announce that post to live clients ([`Changes::announce`]) → ack
//! (in `bus`, batched). A projection cannot fail, so there is nothing to retry.
//!
//! POSTS, COMMENTS and MODERATION each have a durable consumer named after this instance.
//! On every start the old consumer is deleted and a fresh one created from the first
//! message: the read model lives only in memory, so it must be rebuilt from the whole
//! history. (A durable rather than an ordered consumer, so that `make status` and `/system`
//! show query's backlog while it is down.) MODERATION is read only for the comments'
//! timelines: `CommentUpdated` already carries each outcome.
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

/// Consumes `stream` into `model` until `shutdown`, announcing each changed post.
pub async fn follow_into(
    js: jetstream::Context,
    stream: StreamDef,
    name: String,
    model: Arc<RwLock<ReadModel>>,
    changes: Changes,
    progress: Progress,
    shutdown: CancellationToken,
) {
    // The projection cannot fail and is rebuilt on every start anyway: ack in batches.
    let mut durable = Durable::new(stream, &name, None).with_batched_acks(ACK_EVERY);
    durable.config.inactive_threshold = FORGET_AFTER;
    consume(js, durable, Some(progress), shutdown, |event, delivery| {
        let stored_at = (stream, delivery.stream_sequence);
        std::future::ready(on_event(&event, stored_at, &model, &changes))
    })
    .await
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
