//! The live system view behind `GET /system`: who is up, what the streams hold, every
//! durable consumer's backlog, and the dead letters.
//!
//! Once a second query asks the broker — a `$SRV.PING` to every service (the NATS services
//! API), stream and consumer info from JetStream — and publishes the answer, serialized
//! once, to everyone watching. A service counts as up if it answered the ping in time.

use crate::dead_letters::{DeadLetters, LetterView};
use async_nats::connection::State;
use async_nats::jetstream;
use futures::StreamExt;
use parking_lot::RwLock;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// The services the system should have; any others that answer are listed too.
const EXPECTED: [&str; 4] = ["posts", "comments", "moderation", "query"];
const STREAMS: [&str; 4] = ["POSTS", "COMMENTS", "MODERATION", bus::deadletters::STREAM];
/// How long a service has to answer the ping.
const PING_WAIT: Duration = Duration::from_millis(300);
const EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemView {
    pub broker_connected: bool,
    pub services: Vec<ServiceView>,
    pub streams: Vec<StreamView>,
    /// Each with where it stands with automatic retries (`redrive`).
    pub dead_letters: Vec<LetterView>,
}

#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceView {
    pub name: String,
    pub up: bool,
    pub instances: usize,
}

#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamView {
    pub name: String,
    pub messages: u64,
    pub consumers: Vec<ConsumerView>,
}

#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerView {
    pub name: String,
    /// Not yet delivered.
    pub pending: u64,
    /// Delivered, not yet acknowledged.
    pub ack_pending: usize,
    pub redelivered: usize,
}

/// Looks at the system once.
pub async fn look(js: &jetstream::Context, dead_letters: &RwLock<DeadLetters>) -> SystemView {
    let client = js.client();
    let connected = client.connection_state() == State::Connected;
    let mut instances = if connected {
        crate::ping::ping_all(&client, PING_WAIT).await
    } else {
        Default::default()
    };
    let mut services: Vec<ServiceView> = EXPECTED
        .iter()
        .map(|name| {
            let count = instances.remove(*name).map_or(0, |ids| ids.len());
            ServiceView {
                name: (*name).to_owned(),
                up: count > 0,
                instances: count,
            }
        })
        .collect();
    services.extend(instances.into_iter().map(|(name, ids)| ServiceView {
        name,
        up: true,
        instances: ids.len(),
    }));
    let mut streams = Vec::new();
    if connected {
        for name in STREAMS {
            if let Some(view) = stream_view(js, name).await {
                streams.push(view);
            }
        }
    }
    SystemView {
        broker_connected: connected,
        services,
        streams,
        dead_letters: dead_letters.read().newest(),
    }
}

async fn stream_view(js: &jetstream::Context, name: &str) -> Option<StreamView> {
    // `get_stream` already fetched the stream's info: no second request for it.
    let stream = js.get_stream(name).await.ok()?;
    let messages = stream.cached_info().state.messages;
    let mut consumers = Vec::new();
    let mut infos = stream.consumers();
    while let Some(Ok(info)) = infos.next().await {
        // Durable consumers only: the ephemeral replay readers are not backlogs.
        if info.config.durable_name.is_none() {
            continue;
        }
        consumers.push(ConsumerView {
            name: info.name,
            pending: info.num_pending,
            ack_pending: info.num_ack_pending,
            redelivered: info.num_redelivered,
        });
    }
    consumers.sort_by(|a, b| a.name.cmp(&b.name));
    Some(StreamView {
        name: name.to_owned(),
        messages,
        consumers,
    })
}

/// Looks every second until `shutdown`, sending the JSON when it changes.
pub async fn watch(
    js: jetstream::Context,
    dead_letters: Arc<RwLock<DeadLetters>>,
    view: watch::Sender<Arc<str>>,
    shutdown: CancellationToken,
) {
    while !shutdown.is_cancelled() {
        let json = serde_json::to_string(&look(&js, &dead_letters).await).unwrap_or_default();
        view.send_if_modified(|current| {
            let changed = **current != *json;
            if changed {
                *current = json.into();
            }
            changed
        });
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}
