//! Replaying and following POSTS and COMMENTS into the read model.
//!
//! Each stream has a durable consumer named after this instance. On every start the old
//! consumer is deleted and a fresh one created from the first message: the read model lives
//! only in memory, so it must be rebuilt from the whole history. (A durable rather than an
//! ordered consumer, so that `make status` can show query's backlog while it is down.)

use crate::live::Changes;
use crate::projection::ReadModel;
use async_nats::jetstream;
use async_nats::jetstream::stream::ConsumerErrorKind;
use bus::consume::{consume, durable, Outcome};
use bus::progress::Progress;
use bus::StreamDef;
use parking_lot::RwLock;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The streams query reads. (MODERATION is not needed: `CommentUpdated` carries the
/// outcome.)
pub const STREAMS: [StreamDef; 2] = [StreamDef::Posts, StreamDef::Comments];

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

/// Consumes `stream` into `model` until `shutdown`.
pub async fn follow_into(
    js: jetstream::Context,
    stream: StreamDef,
    name: String,
    model: Arc<RwLock<ReadModel>>,
    changes: Changes,
    progress: Progress,
    shutdown: CancellationToken,
) {
    consume(js, stream, durable(&name, None), Some(progress), shutdown, |event, _delivery| {
        let mut model = model.write();
        if let Some(post) = model.apply(&event.body) {
            changes.announce(&model, post);
        }
        std::future::ready(Outcome::Done)
    })
    .await
}
