//! The durable consumer loop every service shares.
//!
//! One shape everywhere: `decode(message) -> Event`, then the service's own handler (which
//! decides with a pure `handle` and performs the effects in `interpret`), then the ack. The
//! ack comes only after the handler has finished, so a crash in between means the message is
//! delivered again (at-least-once) — which is why every handler is idempotent.
//!
//! A message that is not a valid event is logged and terminated: it can never succeed, and
//! leaving it unacked would block nothing (pull consumers deliver past it) but would be
//! redelivered forever.

use crate::event::Event;
use crate::follow::pause;
use crate::progress::Progress;
use crate::streams::StreamDef;
use async_nats::jetstream::{self, consumer::pull, message::AckKind};
use futures::StreamExt;
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn, Instrument};

/// What to do with a message once its handler is done.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The work is done: ack.
    Done,
    /// It failed for a reason that may pass (a broker hiccup, a fact not known yet):
    /// nak, and let JetStream redeliver after `after`.
    Retry { after: Duration, reason: String },
    /// It can never succeed: terminate, so it is not redelivered.
    Reject { reason: String },
}

/// Where the message came from, for the handler's logs and decisions.
#[derive(Clone, Copy, Debug)]
pub struct Delivery {
    pub stream_sequence: u64,
    /// 1 on the first delivery, 2 on the first redelivery, …
    pub attempt: i64,
}

/// A durable pull consumer's settings: explicit acks, redelivery after `ack_wait`.
pub fn durable(name: &str, filter_subject: Option<String>) -> pull::Config {
    pull::Config {
        durable_name: Some(name.to_owned()),
        filter_subject: filter_subject.unwrap_or_default(),
        ack_policy: jetstream::consumer::AckPolicy::Explicit,
        ack_wait: Duration::from_secs(30),
        deliver_policy: jetstream::consumer::DeliverPolicy::All,
        ..Default::default()
    }
}

/// Runs the durable consumer `config` on `stream` until `shutdown`, calling `handler` for
/// each event. The consumer is created if missing and resumes from its last ack if it exists.
/// `progress` (if given) records each handled sequence and when the backlog that existed at
/// startup has been worked off.
pub async fn consume<H, Fut>(
    js: jetstream::Context,
    stream: StreamDef,
    config: pull::Config,
    progress: Option<Progress>,
    shutdown: CancellationToken,
    mut handler: H,
) where
    H: FnMut(Event, Delivery) -> Fut,
    Fut: Future<Output = Outcome>,
{
    let name = config.durable_name.clone().unwrap_or_default();
    while !shutdown.is_cancelled() {
        let messages = match open(&js, stream, &config, progress.as_ref()).await {
            Ok(messages) => messages,
            Err(error) => {
                warn!(consumer = %name, stream = stream.name(), %error,
                    "cannot open the consumer yet; retrying");
                pause(&shutdown, Duration::from_millis(500)).await;
                continue;
            }
        };
        info!(consumer = %name, stream = stream.name(), "consuming");
        tokio::pin!(messages);
        loop {
            // Shutdown is only checked between messages: one that has been received is
            // always finished and acked first.
            let next = tokio::select! {
                _ = shutdown.cancelled() => return,
                next = messages.next() => next,
            };
            let message = match next {
                Some(Ok(message)) => message,
                Some(Err(error)) => {
                    debug!(consumer = %name, %error, "consumer hiccup (the client retries)");
                    continue;
                }
                None => break,
            };
            handle_one(&name, &message, progress.as_ref(), &mut handler).await;
        }
        pause(&shutdown, Duration::from_millis(200)).await;
    }
}

async fn handle_one<H, Fut>(
    consumer: &str,
    message: &jetstream::Message,
    progress: Option<&Progress>,
    handler: &mut H,
) where
    H: FnMut(Event, Delivery) -> Fut,
    Fut: Future<Output = Outcome>,
{
    let Ok(meta) = message.info() else {
        warn!(consumer, subject = %message.subject, "a message without JetStream metadata");
        return;
    };
    let delivery = Delivery { stream_sequence: meta.stream_sequence, attempt: meta.delivered };
    let pending = meta.pending;
    let outcome = match Event::from_json(&message.payload) {
        Ok(event) => {
            let span = tracing::info_span!("event", consumer, event_id = %event.id,
                event_type = event.body.type_name(), subject = %message.subject,
                correlation_id = %event.correlationid, attempt = delivery.attempt);
            handler(event, delivery).instrument(span).await
        }
        Err(error) => Outcome::Reject { reason: format!("not a valid event: {error}") },
    };
    let ack = match &outcome {
        Outcome::Done => AckKind::Ack,
        Outcome::Retry { after, reason } => {
            warn!(consumer, sequence = delivery.stream_sequence, attempt = delivery.attempt,
                %reason, "will retry");
            AckKind::Nak(Some(*after))
        }
        Outcome::Reject { reason } => {
            warn!(consumer, sequence = delivery.stream_sequence, subject = %message.subject,
                %reason, "rejected; terminating the message");
            AckKind::Term
        }
    };
    if let Err(error) = message.ack_with(ack).await {
        // The work is done but the ack was lost: the message will be redelivered, and the
        // idempotent handler will recognise it.
        warn!(consumer, sequence = delivery.stream_sequence, %error, "ack failed");
    }
    if let Some(progress) = progress {
        progress.applied(delivery.stream_sequence, pending);
    }
}

/// Gets or creates the durable consumer and starts pulling. Marks the backlog as worked off
/// at once if the consumer has nothing pending.
async fn open(
    js: &jetstream::Context,
    stream: StreamDef,
    config: &pull::Config,
    progress: Option<&Progress>,
) -> Result<pull::Stream, async_nats::Error> {
    let handle = js.get_stream(stream.name()).await?;
    let name = config.durable_name.clone().unwrap_or_default();
    let mut consumer: jetstream::consumer::PullConsumer =
        handle.get_or_create_consumer(&name, config.clone()).await?;
    let info = consumer.info().await?;
    if info.num_pending == 0 {
        if let Some(progress) = progress {
            progress.mark_caught_up();
        }
    }
    Ok(consumer.messages().await?)
}
