//! One message's life, and the serial path.
//!
//! [`Worker::handle_one`]: decode the message, run the service's handler (telling the server
//! "still working" every third of the ack wait, so a slow handler keeps its message), then
//! settle the outcome (see `settle`). [`Worker::run`] pulls messages one at a time, in
//! stream order — or hands them to the ordered-parallel dispatcher (see `parallel`).

use super::open::is_not_found;
use super::{Delivery, Durable, Ended, Outcome};
use crate::event::Event;
use crate::ids::{CorrelationId, EventId};
use crate::progress::Progress;
use async_nats::jetstream::consumer::pull::{self, MessagesErrorKind};
use async_nats::jetstream::{self, message::AckKind};
use futures::StreamExt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn, Instrument};

/// The ids a retry or dead-letter warning names, so the log line can be joined with the
/// handler's own lines and followed across services.
#[derive(Clone, Copy, Debug)]
pub(super) struct EventIds {
    pub(super) event_id: EventId,
    pub(super) correlation_id: CorrelationId,
}

/// Works the messages of one opened consumer.
pub(super) struct Worker<'a, H> {
    pub(super) js: &'a jetstream::Context,
    pub(super) name: &'a str,
    pub(super) durable: &'a Durable,
    pub(super) progress: Option<&'a Progress>,
    pub(super) handler: &'a H,
}

impl<H, Fut> Worker<'_, H>
where
    H: Fn(Event, Delivery) -> Fut,
    Fut: Future<Output = Outcome>,
{
    /// Works until shutdown, or until the consumer's message stream ends (then the caller
    /// opens it again).
    pub(super) async fn run(&self, messages: pull::Stream, shutdown: &CancellationToken) -> Ended {
        tokio::pin!(messages);
        if self.durable.concurrency > 1 {
            return self.run_in_parallel(messages, shutdown).await;
        }
        loop {
            // Shutdown is only checked between messages: one that has been received is
            // always finished and acked first.
            let next = tokio::select! {
                _ = shutdown.cancelled() => return Ended::Shutdown,
                next = messages.next() => next,
            };
            match next {
                Some(Ok(message)) => {
                    self.handle_one(String::new(), message).await;
                }
                Some(Err(error)) => {
                    if self.is_gone(&error).await {
                        return Ended::StreamClosed;
                    }
                }
                None => return Ended::StreamClosed,
            }
        }
    }

    /// Decodes, handles and settles one message; returns its entity (for the dispatcher).
    pub(super) async fn handle_one(&self, entity: String, message: jetstream::Message) -> String {
        let consumer = self.name;
        let Ok(meta) = message.info() else {
            warn!(consumer, subject = %message.subject, "a message without JetStream metadata");
            return entity;
        };
        let delivery = Delivery {
            stream_sequence: meta.stream_sequence,
            attempt: meta.delivered,
        };
        let pending = meta.pending;
        let (outcome, ids) = match Event::from_json(&message.payload) {
            Ok(event) => {
                let ids = EventIds {
                    event_id: event.id,
                    correlation_id: event.correlationid,
                };
                // A debug span: formatting six fields per message is measurable when query
                // replays a million events. `RUST_LOG=debug` shows it on every log line;
                // handlers name the event and correlation ids in their own info lines.
                let span = tracing::debug_span!("event", consumer, event_id = %event.id,
                    event_type = event.body.type_name(), subject = %message.subject,
                    correlation_id = %event.correlationid, attempt = delivery.attempt);
                let work = (self.handler)(event, delivery).instrument(span);
                (self.run_handler(work, &message).await, Some(ids))
            }
            Err(error) => {
                let reason = format!("not a valid event: {error}");
                (Outcome::Reject { reason }, None)
            }
        };
        self.settle(&message, &outcome, delivery, ids).await;
        if let Some(progress) = self.progress {
            progress.applied(delivery.stream_sequence, pending);
        }
        entity
    }

    /// Runs the handler; while it works, tells the server every third of the ack wait that
    /// the message is still in progress, so it is not handed out a second time meanwhile.
    async fn run_handler(
        &self,
        work: impl Future<Output = Outcome>,
        message: &jetstream::Message,
    ) -> Outcome {
        tokio::pin!(work);
        // A projection never waits: no timer per event.
        if self.durable.projection {
            return work.await;
        }
        let period = (self.durable.config.ack_wait / 3).max(Duration::from_millis(50));
        let mut keep_alive = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            tokio::select! {
                biased;
                outcome = &mut work => return outcome,
                _ = keep_alive.tick() => {
                    if let Err(error) = message.ack_with(AckKind::Progress).await {
                        debug!(consumer = self.name, %error, "in-progress ack lost");
                    }
                }
            }
        }
    }

    /// Whether a pull error means our consumer is gone (so the loop must create it again),
    /// rather than a hiccup the client recovers from by itself.
    pub(super) async fn is_gone(&self, error: &pull::MessagesError) -> bool {
        let gone = match error.kind() {
            MessagesErrorKind::ConsumerDeleted => true,
            // Silence or refusals: ask the server whether the consumer still exists.
            MessagesErrorKind::MissingHeartbeat
            | MessagesErrorKind::NoResponders
            | MessagesErrorKind::Pull => {
                let stream = self.durable.stream;
                match self.js.get_stream_no_info(stream).await {
                    Ok(handle) => handle
                        .consumer_info(self.name)
                        .await
                        .is_err_and(|e| is_not_found(&e)),
                    Err(_) => false,
                }
            }
            _ => false,
        };
        if gone {
            warn!(consumer = self.name, stream = self.durable.stream, %error,
                "the consumer was deleted under us; creating it again");
        } else {
            debug!(consumer = self.name, %error, "consumer hiccup (the client retries)");
        }
        gone
    }
}

/// The pinned message stream a worker reads.
pub(super) type Messages<'a> = Pin<&'a mut pull::Stream>;
