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
//! Ordered parallelism: with `concurrency` above 1, messages about *different* entities
//! (the last subject token, e.g. a comment id) are handled at the same time, while the
//! messages about *one* entity still run one after another, in stream order. Each is acked
//! on its own, once its work is done.

use crate::deadletters::{note_subject, Note};
use crate::event::Event;
use crate::follow::pause;
use crate::progress::Progress;
use crate::streams::StreamDef;
use async_nats::jetstream::consumer::pull::MessagesErrorKind;
use async_nats::jetstream::context::{ConsumerInfoError, ConsumerInfoErrorKind};
use async_nats::jetstream::{self, consumer::pull, message::AckKind};
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn, Instrument};

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

/// Where the message came from, for the handler's logs and decisions.
#[derive(Clone, Copy, Debug)]
pub struct Delivery {
    pub stream_sequence: u64,
    /// 1 on the first delivery, 2 on the first redelivery, …
    pub attempt: i64,
}

/// How often, and how patiently, a failing message is retried.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// The delay before attempt 2, 3, …; the last entry repeats.
    pub backoff: Vec<Duration>,
    /// Deliveries in all, after which JetStream gives up on the message.
    pub max_deliver: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            backoff: [250, 1_000, 2_000, 4_000]
                .map(Duration::from_millis)
                .to_vec(),
            max_deliver: 5,
        }
    }
}

impl RetryPolicy {
    /// The nak delay after a failed `attempt` (1-based).
    pub fn delay_after(&self, attempt: i64) -> Duration {
        let index = usize::try_from(attempt.max(1) - 1).unwrap_or(0);
        self.backoff
            .get(index)
            .or(self.backoff.last())
            .copied()
            .unwrap_or(Duration::ZERO)
    }
}

/// A durable pull consumer and how to run it.
#[derive(Clone, Debug)]
pub struct Durable {
    pub stream: StreamDef,
    pub config: pull::Config,
    pub retry: RetryPolicy,
    /// How many entities may be handled at once (1: strictly one message at a time).
    pub concurrency: usize,
    /// Ack every n-th message (with `AckPolicy::All`, one ack covers all before it); 1:
    /// ack each one.
    pub ack_every: u64,
}

impl Durable {
    /// The durable consumer `name` on `stream`, optionally filtered: explicit acks, the
    /// default retry policy, one message at a time.
    pub fn new(stream: StreamDef, name: &str, filter_subject: Option<String>) -> Durable {
        let retry = RetryPolicy::default();
        let config = pull::Config {
            durable_name: Some(name.to_owned()),
            filter_subject: filter_subject.unwrap_or_default(),
            ack_policy: jetstream::consumer::AckPolicy::Explicit,
            ack_wait: Duration::from_secs(30),
            deliver_policy: jetstream::consumer::DeliverPolicy::All,
            max_deliver: retry.max_deliver,
            // No more unacked messages than are being worked on: a message the client holds
            // in its buffer, waiting for a free worker, would run out its ack wait there and
            // be handed out a second time behind a slow handler.
            max_ack_pending: 1,
            ..Default::default()
        };
        Durable {
            stream,
            config,
            retry,
            concurrency: 1,
            ack_every: 1,
        }
    }

    pub fn with_concurrency(mut self, concurrency: usize) -> Durable {
        self.concurrency = concurrency.max(1);
        // Exactly as many unacked as can be worked on at once (see `Durable::new`).
        self.config.max_ack_pending = i64::try_from(self.concurrency).unwrap_or(i64::MAX);
        self
    }

    /// Acks only every `n`-th message, and whenever the consumer has caught up. Because
    /// JetStream's `AckPolicy::All` lets one ack confirm every message before it, a replay
    /// of a million events needs a few thousand acks, not a million. Only for consumers that
    /// handle one message at a time and never fail (query's projection): a nak or term would
    /// not cover the messages before it.
    pub fn with_batched_acks(mut self, n: u64) -> Durable {
        self.config.ack_policy = jetstream::consumer::AckPolicy::All;
        // Many unacked at once: one ack covers a whole batch (the server default, 1000).
        self.config.max_ack_pending = 0;
        self.concurrency = 1;
        self.ack_every = n.max(1);
        self
    }

    /// How long the server waits for an ack before redelivering (see
    /// [`crate::BusConfig::ack_wait`]); in-progress acks are sent at a third of it.
    pub fn with_ack_wait(mut self, ack_wait: Duration) -> Durable {
        self.config.ack_wait = ack_wait;
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Durable {
        self.config.max_deliver = retry.max_deliver;
        self.retry = retry;
        self
    }

    fn name(&self) -> String {
        self.config.durable_name.clone().unwrap_or_default()
    }
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
        let messages = match open(&js, &durable, progress.as_ref()).await {
            Ok(messages) => messages,
            Err(error) => {
                if let Some(progress) = &progress {
                    progress.set_reading(false);
                }
                // Once per outage at warn level; the retries every half second at debug.
                if !std::mem::replace(&mut complained, true) {
                    warn!(consumer = %name, stream = durable.stream.name(), %error,
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
        info!(consumer = %name, stream = durable.stream.name(), concurrency = durable.concurrency,
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
enum Ended {
    Shutdown,
    StreamClosed,
}

struct Worker<'a, H> {
    js: &'a jetstream::Context,
    name: &'a str,
    durable: &'a Durable,
    progress: Option<&'a Progress>,
    handler: &'a H,
}

impl<H, Fut> Worker<'_, H>
where
    H: Fn(Event, Delivery) -> Fut,
    Fut: Future<Output = Outcome>,
{
    /// Pulls messages and dispatches them: at most `concurrency` in flight, one at a time
    /// per entity, the rest of an entity's messages queued behind the one running.
    async fn run(&self, messages: pull::Stream, shutdown: &CancellationToken) -> Ended {
        tokio::pin!(messages);
        let limit = self.durable.concurrency;
        if limit == 1 {
            return self.run_serially(messages, shutdown).await;
        }
        let mut in_flight = FuturesUnordered::new();
        // Entities with a message in flight, and their messages waiting behind it.
        let mut busy: HashMap<String, VecDeque<jetstream::Message>> = HashMap::new();
        let mut queued = 0usize;
        let mut stopping = false;
        loop {
            let may_pull = !stopping && in_flight.len() < limit && queued < limit.saturating_mul(4);
            tokio::select! {
                // Finishing work comes first, so a freed entity's next message starts at once.
                biased;
                Some(entity) = in_flight.next(), if !in_flight.is_empty() => {
                    match busy.get_mut(&entity).and_then(VecDeque::pop_front) {
                        Some(next) => {
                            queued -= 1;
                            in_flight.push(self.handle_one(entity, next));
                        }
                        None => {
                            busy.remove(&entity);
                        }
                    }
                }
                // On the stop signal, take nothing new; what is in flight finishes and is
                // acked. Messages still queued are handed back at once (nak, no delay).
                _ = shutdown.cancelled(), if !stopping => {
                    stopping = true;
                    for message in busy.values_mut().flat_map(std::mem::take) {
                        let _ = message.ack_with(AckKind::Nak(None)).await;
                    }
                    queued = 0;
                }
                next = messages.next(), if may_pull => match next {
                    Some(Ok(message)) => {
                        let entity = entity_of(&message.subject).to_owned();
                        if let Some(waiting) = busy.get_mut(&entity) {
                            waiting.push_back(message);
                            queued += 1;
                        } else {
                            busy.insert(entity.clone(), VecDeque::new());
                            in_flight.push(self.handle_one(entity, message));
                        }
                    }
                    Some(Err(error)) => {
                        if self.is_gone(&error).await {
                            while in_flight.next().await.is_some() {}
                            return Ended::StreamClosed;
                        }
                    }
                    None => {
                        while in_flight.next().await.is_some() {}
                        return Ended::StreamClosed;
                    }
                },
            }
            if stopping && in_flight.is_empty() {
                return Ended::Shutdown;
            }
        }
    }

    /// One message at a time, in stream order: no bookkeeping of entities needed.
    async fn run_serially(
        &self,
        mut messages: std::pin::Pin<&mut pull::Stream>,
        shutdown: &CancellationToken,
    ) -> Ended {
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

    /// Whether a pull error means our consumer is gone (so the loop must create it again),
    /// rather than a hiccup the client recovers from by itself.
    async fn is_gone(&self, error: &pull::MessagesError) -> bool {
        let gone = match error.kind() {
            MessagesErrorKind::ConsumerDeleted => true,
            // Silence or refusals: ask the server whether the consumer still exists.
            MessagesErrorKind::MissingHeartbeat
            | MessagesErrorKind::NoResponders
            | MessagesErrorKind::Pull => {
                let stream = self.durable.stream.name();
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
            warn!(consumer = self.name, stream = self.durable.stream.name(), %error,
                "the consumer was deleted under us; creating it again");
        } else {
            debug!(consumer = self.name, %error, "consumer hiccup (the client retries)");
        }
        gone
    }

    /// Runs the handler; while it works, tells the server every third of the ack wait that
    /// the message is still in progress, so it is not handed out a second time meanwhile.
    async fn run_handler(
        &self,
        work: impl Future<Output = Outcome>,
        message: &jetstream::Message,
    ) -> Outcome {
        tokio::pin!(work);
        // Query's projection (batched acks) never waits: no timer for a million events.
        if self.durable.ack_every > 1 {
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

    /// Decodes, handles and acks one message; returns its entity.
    async fn handle_one(&self, entity: String, message: jetstream::Message) -> String {
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
        let batch_ends = meta.consumer_sequence % self.durable.ack_every == 0 || pending == 0;
        let outcome = match Event::from_json(&message.payload) {
            Ok(event) => {
                // A debug span: formatting six fields per message is measurable when query
                // replays a million events. `RUST_LOG=debug` shows it on every log line;
                // handlers name the event and correlation ids in their own info lines.
                let span = tracing::debug_span!("event", consumer, event_id = %event.id,
                    event_type = event.body.type_name(), subject = %message.subject,
                    correlation_id = %event.correlationid, attempt = delivery.attempt);
                self.run_handler((self.handler)(event, delivery).instrument(span), &message)
                    .await
            }
            Err(error) => Outcome::Reject {
                reason: format!("not a valid event: {error}"),
            },
        };
        let sequence = delivery.stream_sequence;
        let acked = match &outcome {
            Outcome::Done if batch_ends => message.ack().await,
            Outcome::Done => Ok(()),
            Outcome::Retry { reason } => {
                let last = delivery.attempt >= self.durable.retry.max_deliver;
                let delay = self.durable.retry.delay_after(delivery.attempt);
                warn!(consumer, sequence, attempt = delivery.attempt, %reason,
                    "{}", if last { "failed for the last time: JetStream gives up (dead letter)" }
                          else { "failed; will retry" });
                if last {
                    self.leave_note(&message, sequence, reason).await;
                }
                message.ack_with(AckKind::Nak(Some(delay))).await
            }
            Outcome::Reject { reason } => {
                warn!(consumer, sequence, subject = %message.subject, %reason,
                    "rejected; terminating the message (dead letter)");
                self.leave_note(&message, sequence, reason).await;
                terminate(&message, reason).await
            }
        };
        if let Err(error) = acked {
            // The work is done but the ack was lost: the message will be redelivered, and the
            // idempotent handler will recognise it.
            warn!(consumer, sequence, %error, "ack failed");
        }
        if let Some(progress) = self.progress {
            progress.applied(sequence, pending);
        }
        entity
    }
}

impl<H> Worker<'_, H> {
    /// Records, beside JetStream's advisory, which subject we gave up on and why.
    async fn leave_note(&self, message: &jetstream::Message, sequence: u64, error: &str) {
        let note = Note {
            subject: message.subject.to_string(),
            error: error.to_owned(),
        };
        let subject = note_subject(self.durable.stream.name(), self.name, sequence);
        let payload = serde_json::to_vec(&note).unwrap_or_default();
        if let Err(error) = message.context.publish(subject, payload.into()).await {
            warn!(%error, "could not leave a dead-letter note");
        }
    }
}

/// The entity a message is about: the last token of its subject (`…CommentCreated.<id>`).
pub fn entity_of(subject: &str) -> &str {
    subject.rsplit('.').next().unwrap_or(subject)
}

/// Terminates a message with a reason, which the server puts into its *terminated*
/// advisory (async-nats' `AckKind::Term` carries none).
async fn terminate(message: &jetstream::Message, reason: &str) -> Result<(), async_nats::Error> {
    let Some(reply) = message.reply.clone() else {
        return Err("not a JetStream message".into());
    };
    let body = format!("+TERM {}", reason.replace(['\r', '\n'], " "));
    message.context.client().publish(reply, body.into()).await?;
    Ok(())
}

/// Whether the settings we choose differ from those the server holds for the consumer.
fn differs(held: &jetstream::consumer::Config, wanted: &pull::Config) -> bool {
    // (0 means "the server's default", which the server then reports as a number.)
    let differ = |held: i64, wanted: i64| wanted != 0 && held != wanted;
    held.ack_wait != wanted.ack_wait
        || differ(held.max_ack_pending, wanted.max_ack_pending)
        || differ(held.max_deliver, wanted.max_deliver)
}

/// Whether `error` is the server saying "no such consumer".
fn is_not_found(error: &(dyn std::error::Error + 'static)) -> bool {
    error
        .downcast_ref::<ConsumerInfoError>()
        .is_some_and(|e| e.kind() == ConsumerInfoErrorKind::NotFound)
}

/// Gets or creates the durable consumer and starts pulling. Marks the backlog as worked off
/// at once if the consumer has nothing pending.
async fn open(
    js: &jetstream::Context,
    durable: &Durable,
    progress: Option<&Progress>,
) -> Result<pull::Stream, async_nats::Error> {
    let handle = js.get_stream(durable.stream.name()).await?;
    let name = durable.name();
    let consumer: jetstream::consumer::PullConsumer = match handle.get_consumer(&name).await {
        // Made by an older version, or with another ack wait: bring it to today's settings
        // (its position in the stream is kept).
        Ok(consumer) if differs(&consumer.cached_info().config, &durable.config) => {
            info!(consumer = %name, "updating the durable consumer's settings");
            handle.update_consumer(durable.config.clone()).await?
        }
        Ok(consumer) => consumer,
        Err(error) if is_not_found(&*error) => {
            let created = handle.create_consumer(durable.config.clone()).await?;
            info!(consumer = %name, stream = durable.stream.name(),
                "created the durable consumer (it did not exist)");
            created
        }
        Err(error) => return Err(error),
    };
    // The get-or-create answer carries the consumer's info: no second request for it.
    if consumer.cached_info().num_pending == 0 {
        if let Some(progress) = progress {
            progress.mark_caught_up();
        }
    }
    Ok(consumer.messages().await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_grows_and_then_repeats_its_last_step() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay_after(1), Duration::from_millis(250));
        assert_eq!(policy.delay_after(2), Duration::from_secs(1));
        assert_eq!(policy.delay_after(9), Duration::from_secs(4));
    }

    #[test]
    fn the_entity_is_the_last_subject_token() {
        assert_eq!(entity_of("comments.CommentCreated.abc"), "abc");
        assert_eq!(entity_of("plain"), "plain");
    }
}
