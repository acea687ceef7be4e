//! Publishing events.
//!
//! A publish awaits twice: once to hand the message to the client, once for JetStream's
//! PubAck, which says the event is stored (on disk, with `sync_interval: always`). Only then
//! may a service answer 201. The event id goes into `Nats-Msg-Id`, so publishing the same
//! event again within the duplicate window stores nothing new.

use crate::event::Event;
use crate::lookup::LookupError;
use async_nats::connection::State;
use async_nats::jetstream::{self, message::PublishMessage};
use async_nats::Client;
use std::future::IntoFuture;
use std::sync::Arc;
use std::time::Duration;
use tracing::debug;

/// How long to wait for JetStream to acknowledge a publish before calling the broker
/// unavailable.
const ACK_TIMEOUT: Duration = Duration::from_secs(3);

/// Why a publish failed. The messages are ours, fit for a user; the client's own error is
/// kept as the source, for the log.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Not connected, so nothing was sent. Handlers answer 503.
    #[error("the event broker is unavailable")]
    NotConnected,
    /// The broker could not be reached, so nothing was sent. Handlers answer 503.
    #[error("the event broker is unavailable")]
    Unavailable(#[source] jetstream::context::PublishError),
    /// The event was sent but its storage was not confirmed in time: the connection broke
    /// while it was in flight. The client re-sends what it had buffered once it reconnects,
    /// so the event may still be stored later. Handlers answer 503 and say so.
    #[error("the event broker did not confirm the write in time")]
    Unconfirmed(#[source] jetstream::context::PublishError),
    /// JetStream said an event with this id was already stored, and that event could not be
    /// read back to answer with.
    #[error("the event broker holds an earlier attempt of this write that cannot be read back")]
    EarlierAttemptUnreadable(#[source] LookupError),
}

impl PublishError {
    /// True when nothing can have been stored: retrying is plainly safe.
    pub fn nothing_written(&self) -> bool {
        matches!(
            self,
            PublishError::NotConnected | PublishError::Unavailable(_)
        )
    }
}

/// What JetStream said about a stored event.
#[derive(Clone, Copy, Debug)]
pub struct Published {
    /// The event's sequence in its stream.
    pub sequence: u64,
    /// True if JetStream had already stored an event with this id, and dropped this one.
    pub duplicate: bool,
}

/// A service's way to publish events. Cheap to clone (one shared pointer): every request
/// clones its service's state, and cloning the client itself (several shared pointers and a
/// channel sender, twice with the JetStream context) was 8 % of the posts service's CPU.
#[derive(Clone, Debug)]
pub struct Publisher(Arc<Connection>);

#[derive(Debug)]
struct Connection {
    client: Client,
    js: jetstream::Context,
}

impl Publisher {
    pub fn new(client: Client) -> Publisher {
        let js = jetstream::ContextBuilder::new()
            .timeout(ACK_TIMEOUT)
            .build(client.clone());
        Publisher(Arc::new(Connection { client, js }))
    }

    /// Whether the client is connected to nats-server right now (for `/health`).
    pub fn is_connected(&self) -> bool {
        self.0.client.connection_state() == State::Connected
    }

    pub fn client(&self) -> Client {
        self.0.client.clone()
    }

    pub fn jetstream(&self) -> &jetstream::Context {
        &self.0.js
    }

    /// Publishes `event` and answers the event the stream holds under its id: `event`
    /// itself, or — if JetStream already had an event with this id (a retried write within
    /// the duplicate window) and dropped this one — that earlier event, read back from the
    /// stream. A retried write can then answer exactly what the first attempt stored.
    pub async fn publish_once(&self, event: &Event) -> Result<Event, PublishError> {
        let stored = self.publish(event).await?;
        if !stored.duplicate {
            return Ok(event.clone());
        }
        let stream = event.body.stream();
        // A duplicate's PubAck names the sequence of the event stored under the same id.
        crate::lookup::event_at(&self.0.js, stream, stored.sequence)
            .await
            .map_err(PublishError::EarlierAttemptUnreadable)
    }

    /// Publishes `event` on its subject and waits for JetStream to store it.
    pub async fn publish(&self, event: &Event) -> Result<Published, PublishError> {
        // While disconnected, the client would queue the message and send it after a
        // reconnect — after we had already told the user 503. Refuse up front instead, so
        // a 503 means "nothing was written".
        if self.0.client.connection_state() != State::Connected {
            return Err(PublishError::NotConnected);
        }
        let subject = event.body.subject();
        let message = PublishMessage::build()
            .payload(event.to_json().into())
            .message_id(event.id.to_string());
        let ack = self
            .0
            .js
            .send_publish(subject.clone(), message)
            .await
            .map_err(PublishError::Unavailable)?
            .into_future()
            .await
            .map_err(PublishError::Unconfirmed)?;
        debug!(event_id = %event.id, %subject, sequence = ack.sequence, duplicate = ack.duplicate,
            "published");
        Ok(Published {
            sequence: ack.sequence,
            duplicate: ack.duplicate,
        })
    }
}
