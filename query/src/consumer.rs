//! Replaying and following the streams into the read model: query's consumers.
//!
//! The same steps as every consumer here, for a projection: decode (in `bus`) → handle: fold
//! the event into the read model ([`ReadModel::apply`], pure, and it names the post that
//! changed) → interpret: announce that post to live clients ([`Changes::announce`]) → ack
//! (in `bus`). A projection cannot fail, so there is nothing to retry.
//!
//! The read model lives only in memory, so every start rebuilds it from the whole history,
//! in two legs per stream (POSTS, COMMENTS and MODERATION):
//!
//! 1. **Replay**: the history as it stands at startup — up to the stream's last sequence
//!    then, `end` — is read with *ordered* consumers ([`bus::follow::replay`]): no acks,
//!    flow controlled by the server, the fastest way to read a log. A long history is cut
//!    into sequence ranges read side by side, two per core: the fold reaches the same state
//!    in any order, so nothing says the ranges must be read one after another.
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
use bus::progress::{Progress, Replayed};
use bus::{Event, StreamDef};
use futures::future::join_all;
use parking_lot::RwLock;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

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
    replay_history(
        &js, stream, &name, end, &model, &changes, &progress, &shutdown,
    )
    .await;
    // The projection cannot fail: many events in flight, each acked on its own.
    let mut durable = Durable::new(stream, &name, None)
        .for_projection()
        .starting_at(end + 1);
    durable.config.inactive_threshold = FORGET_AFTER;
    consume(js, durable, Some(progress), shutdown, |event, delivery| {
        let stored_at = (stream, delivery.stream_sequence);
        std::future::ready(on_event(&event, stored_at, &model, &changes))
    })
    .await
}

/// Replays `stream` through `end` into the model, cut into sequence ranges that are read
/// side by side — an ordered consumer and a task each, up to [`PARTS_PER_CORE`] per core. Only a fold that
/// reaches the same state whatever the order of its events allows this (see
/// [`crate::projection`]). `progress` says caught up, with what was read, once every range
/// is done; it stays as it is if `shutdown` comes first.
#[allow(clippy::too_many_arguments)]
async fn replay_history(
    js: &jetstream::Context,
    stream: StreamDef,
    name: &str,
    end: u64,
    model: &Arc<RwLock<ReadModel>>,
    changes: &Changes,
    progress: &Progress,
    shutdown: &CancellationToken,
) {
    let started = std::time::Instant::now();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let parts = replay_parts(end, PARTS_PER_CORE * cores)
        .into_iter()
        .map(|(from, through)| {
            let part = Progress::starting_after(from - 1);
            let (js, name, shutdown) = (js.clone(), name.to_owned(), shutdown.clone());
            let (model, changes, reading) = (model.clone(), changes.clone(), part.clone());
            let task = tokio::spawn(async move {
                // Folded a batch per write lock: the parts (and the other streams) share the
                // model, and a lock taken per event keeps them waiting on each other.
                let mut batch = Vec::with_capacity(REPLAY_BATCH);
                let apply = |event: Event, sequence| {
                    batch.push((event, sequence));
                    if batch.len() == REPLAY_BATCH {
                        fold_batch(&mut batch, stream, &model, &changes);
                    }
                };
                bus::follow::replay(js, stream, &name, through, reading, shutdown, apply).await;
                fold_batch(&mut batch, stream, &model, &changes);
            });
            async move {
                finished(task).await;
                part.replayed()
            }
        });
    let Some(parts) = join_all(parts)
        .await
        .into_iter()
        .collect::<Option<Vec<_>>>()
    else {
        return;
    };
    let messages = parts.iter().map(|part| part.messages).sum();
    let millis = started.elapsed().as_millis() as u64;
    progress.replay_done(Replayed {
        through: end,
        messages,
        millis,
    });
    tracing::info!(
        stream = stream.name(),
        messages,
        parts = parts.len(),
        elapsed_ms = millis,
        "history replayed"
    );
}

/// Waits for `task` to end. A panic in it is a bug, and it must stop the service (as it
/// would have without the task), not leave the service unready or deaf to a stream.
pub(crate) async fn finished(task: tokio::task::JoinHandle<()>) {
    if let Err(error) = task.await {
        if error.is_panic() {
            std::panic::resume_unwind(error.into_panic());
        }
    }
}

/// Parts read side by side per core: the broker serves each consumer in a loop of its own,
/// so two per core keep both it and query busier (1M events on 2 cores, runs taken in
/// turn: 4.2-4.8 s with four parts, 4.5-6.8 s with two, 6.1-8.4 s with one).
const PARTS_PER_CORE: u64 = 2;

/// The fewest events a part of a split replay reads: below that, another consumer costs
/// more than it saves.
const EVENTS_PER_PART: u64 = 10_000;

/// `1..=end` cut into at most `most` ranges of about equal size, each (but a lone one) of
/// at least [`EVENTS_PER_PART`]; none for an empty stream.
fn replay_parts(end: u64, most: u64) -> Vec<(u64, u64)> {
    let count = (end / EVENTS_PER_PART).clamp(1, most.max(1));
    let size = end.div_ceil(count);
    (0..count)
        .map(|i| (i * size + 1, ((i + 1) * size).min(end)))
        .filter(|(from, through)| from <= through)
        .collect()
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
    fold(event, stored_at, &mut model.write(), changes);
    Outcome::Done
}

/// How many replayed events are folded under one write lock.
const REPLAY_BATCH: usize = 256;

/// Folds (and empties) `batch`, events of `stream` with their sequences, under one lock.
fn fold_batch(
    batch: &mut Vec<(Event, u64)>,
    stream: StreamDef,
    model: &RwLock<ReadModel>,
    changes: &Changes,
) {
    let mut model = model.write();
    for (event, sequence) in batch.drain(..) {
        fold(&event, (stream, sequence), &mut model, changes);
    }
}

fn fold(event: &Event, stored_at: (StreamDef, u64), model: &mut ReadModel, changes: &Changes) {
    // Announced under the same write lock, so live clients see changes in stream order.
    if let Some(post) = model.apply_stored(event, Some(stored_at)) {
        changes.announce(model, post);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_history_is_cut_into_equal_ranges_with_nothing_left_out() {
        assert_eq!(
            replay_parts(1_000_000, 2),
            [(1, 500_000), (500_001, 1_000_000)]
        );
        assert_eq!(
            replay_parts(100_001, 3),
            [(1, 33_334), (33_335, 66_668), (66_669, 100_001)]
        );
    }

    #[test]
    fn a_short_history_is_read_whole_and_an_empty_one_not_at_all() {
        assert_eq!(replay_parts(19_999, 2), [(1, 19_999)]);
        assert_eq!(replay_parts(5, 8), [(1, 5)]);
        assert_eq!(replay_parts(0, 2), []);
    }
}
