//! Replaying a stream and following it live: how a service rebuilds its own state.
//!
//! Posts and comments keep no database. At startup they read their stream from the first
//! event, apply each one to their in-memory state, and keep following it. Because every
//! instance builds its state from the same stream, several instances agree on it, and a
//! restart loses nothing that was acknowledged.
//!
//! This uses an *ordered* consumer: ephemeral, server-side flow controlled, no acks, and
//! recreated by the client from the next expected sequence if a message goes missing. That
//! is exactly what "read the log in order" needs, and it leaves nothing behind on the
//! server when the service stops.
//!
//! [`follow`] reads on for ever; [`replay`] stops at a given sequence — query replays its
//! history that way, at the broker's speed, and then hands over to a durable consumer that
//! starts right after it (see `query::consumer`).

mod stream;

use crate::event::Event;
use crate::progress::{Progress, Replayed};
use crate::streams::StreamDef;
use async_nats::jetstream;
use futures::StreamExt;
use std::time::Duration;
use stream::{look_at, open, place, Look, Until};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// How often a follower makes sure its stream still exists.
const STREAM_CHECK: Duration = Duration::from_secs(3);

/// Reads `stream` from the beginning (as `reader`, which names the consumer) and calls
/// `apply(event, stream_sequence)` for each event, in stream order, until `shutdown`.
/// `progress` records each applied sequence and when the startup replay has caught up.
/// A message that is not a valid event (someone published garbage on our subjects) cannot
/// change state: it is logged and skipped.
pub async fn follow<F>(
    js: jetstream::Context,
    stream: StreamDef,
    reader: &str,
    progress: Progress,
    shutdown: CancellationToken,
    apply: F,
) where
    F: FnMut(Event, u64),
{
    read_events(
        js,
        stream,
        reader,
        Until::Shutdown,
        progress,
        shutdown,
        apply,
    )
    .await
}

/// Like [`follow`], but reads `stream` from the beginning only *through* sequence
/// `through`, and returns (also at shutdown). `progress` says caught up once it gets there.
/// A reader that wants to go on live hands over to a consumer starting at `through + 1`:
/// nothing is read twice and nothing is skipped.
pub async fn replay<F>(
    js: jetstream::Context,
    stream: StreamDef,
    reader: &str,
    through: u64,
    progress: Progress,
    shutdown: CancellationToken,
    apply: F,
) where
    F: FnMut(Event, u64),
{
    let until = Until::Sequence(through);
    read_events(js, stream, reader, until, progress, shutdown, apply).await
}

/// [`read`], each message decoded into an event (one that is not an event is logged and
/// skipped, see [`follow`]).
async fn read_events<F>(
    js: jetstream::Context,
    stream: StreamDef,
    reader: &str,
    until: Until,
    progress: Progress,
    shutdown: CancellationToken,
    mut apply: F,
) where
    F: FnMut(Event, u64),
{
    let name = stream.name();
    let apply = |subject: &str, payload: &[u8], sequence| match Event::from_json(payload) {
        Ok(event) => apply(event, sequence),
        Err(error) => {
            warn!(stream = name, sequence, %error, %subject, "not a valid event; skipped")
        }
    };
    read(js, name, reader, until, progress, shutdown, apply).await
}

/// Like [`follow`], for any stream: `apply(subject, payload, stream_sequence)`.
pub async fn follow_messages<F>(
    js: jetstream::Context,
    stream: &str,
    reader: &str,
    progress: Progress,
    shutdown: CancellationToken,
    apply: F,
) where
    F: FnMut(&str, &[u8], u64),
{
    read(
        js,
        stream,
        reader,
        Until::Shutdown,
        progress,
        shutdown,
        apply,
    )
    .await
}

/// Reads `stream` in order from the message after `progress`'s applied sequence, calling
/// `apply` for each, until `until` (or shutdown).
async fn read<F>(
    js: jetstream::Context,
    stream: &str,
    reader: &str,
    until: Until,
    progress: Progress,
    shutdown: CancellationToken,
    mut apply: F,
) where
    F: FnMut(&str, &[u8], u64),
{
    let started = std::time::Instant::now();
    let mut replayed: u64 = 0;
    let mut announced = false;
    let mut complained = false;
    // Where the last reopening for want of messages was (said once per place: if the
    // stream's last messages were deleted, it ends past anything left to read).
    let mut stuck_at = None;
    // A replay that got to its end says so (and what it read) and returns.
    let done = |messages: u64| {
        if let Until::Sequence(through) = until {
            let millis = started.elapsed().as_millis() as u64;
            progress.replay_done(Replayed {
                through,
                messages,
                millis,
            });
        }
        announce_caught_up(stream, messages, started);
    };
    while !shutdown.is_cancelled() {
        // Resume after the last applied message, so a recreated consumer neither skips nor
        // repeats anything.
        let start = progress.applied_sequence() + 1;
        let messages = match open(&js, stream, reader, start, until, &progress).await {
            Ok(Some(messages)) => messages,
            // A replay with nothing (left) to read.
            Ok(None) => return done(replayed),
            Err(error) => {
                // Not ready while the stream cannot be read (`/health` says so); the log
                // says why once, then the retries go on quietly.
                progress.set_reading(false);
                if !std::mem::replace(&mut complained, true) {
                    warn!(stream, %error, "cannot read the stream; retrying until it works");
                } else {
                    debug!(stream, %error, "cannot read the stream yet");
                }
                pause(&shutdown, Duration::from_millis(500)).await;
                continue;
            }
        };
        if std::mem::replace(&mut complained, false) {
            info!(stream, from = start, "reading the stream again");
        }
        progress.set_reading(true);
        tokio::pin!(messages);
        let reconnected = crate::connect::next_reconnect(js.client());
        tokio::pin!(reconnected);
        let mut look =
            tokio::time::interval_at(tokio::time::Instant::now() + STREAM_CHECK, STREAM_CHECK);
        let mut applied_at_last_look = progress.applied_sequence();
        loop {
            let next = tokio::select! {
                _ = shutdown.cancelled() => return,
                // The client's ordered consumer can go quiet without an error: its stream
                // was deleted, or its consumer died with a node and making it again keeps
                // failing while the cluster elects leaders (the client then waits 10 s
                // between tries). So every few seconds, ask the stream.
                _ = look.tick() => {
                    let applied = progress.applied_sequence();
                    let was = std::mem::replace(&mut applied_at_last_look, applied);
                    match look_at(&js, stream).await {
                        Look::Gone => {
                            warn!(stream, "the stream is gone");
                            break;
                        }
                        // Behind, and not one message since the last look: stuck. Open
                        // the stream again after the last applied message.
                        Look::EndsAt(last) if applied == was && applied < until.cap(last) => {
                            if stuck_at.replace(applied) != Some(applied) {
                                info!(stream, applied, last, "no message for {STREAM_CHECK:?} while behind; reopening the stream");
                            } else {
                                debug!(stream, applied, last, "still nothing; reopening the stream");
                            }
                            break;
                        }
                        Look::EndsAt(_) | Look::Unknown => continue,
                    }
                }
                // A restarted server may have lost our ephemeral consumer; the client would
                // notice only after missing several heartbeats. Start over at once instead.
                _ = &mut reconnected => {
                    info!(stream, from = progress.applied_sequence() + 1,
                        "reconnected; reopening the stream where we left off");
                    break;
                }
                next = messages.next() => next,
            };
            let message = match next {
                Some(Ok(message)) => message,
                Some(Err(error)) => {
                    // The client recreates the consumer by itself after a missed heartbeat
                    // (for example while the broker restarts); just say so.
                    debug!(stream, %error, "ordered consumer hiccup");
                    continue;
                }
                None => break,
            };
            let Some((sequence, pending)) = message.reply.as_deref().and_then(place) else {
                warn!(stream, "a message without JetStream metadata; skipped");
                continue;
            };
            if let Until::Sequence(end) = until {
                // Past the end (the messages up to it were deleted meanwhile): not ours.
                if sequence > end {
                    return done(replayed);
                }
            }
            apply(&message.subject, &message.payload, sequence);
            replayed += 1;
            progress.applied(sequence, pending);
            match until {
                // At the end; or nothing follows, so what lay between was deleted.
                Until::Sequence(end) if sequence >= end || pending == 0 => {
                    return done(replayed);
                }
                Until::Sequence(_) => {}
                Until::Shutdown => {
                    if !announced && progress.is_caught_up() {
                        announced = true;
                        announce_caught_up(stream, replayed, started);
                    }
                }
            }
        }
        pause(&shutdown, Duration::from_millis(200)).await;
    }
}

fn announce_caught_up(stream: &str, replayed: u64, started: std::time::Instant) {
    let elapsed_ms = started.elapsed().as_millis() as u64;
    info!(stream, messages = replayed, elapsed_ms, "replay caught up");
}

/// Sleeps for `duration`, or less if shutdown comes first.
pub(crate) async fn pause(shutdown: &CancellationToken, duration: Duration) {
    tokio::select! {
        _ = shutdown.cancelled() => {}
        _ = tokio::time::sleep(duration) => {}
    }
}
