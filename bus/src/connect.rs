//! Connecting to NATS.
//!
//! A service started before nats-server waits for it, saying so in its log, rather than
//! exiting: in a lab where people start and kill things in any order, "wait and retry" is
//! the behaviour that heals. Once connected, async-nats reconnects by itself (forever, with
//! a backoff) whenever the connection drops.

use crate::config::BusConfig;
use async_nats::{Client, ConnectOptions, Event};
use std::time::Duration;
use tracing::{info, warn};

/// The longest pause between two connection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Connects, retrying until a server answers. Only returns once connected.
pub async fn connect(config: &BusConfig) -> Client {
    let mut delay = Duration::from_millis(100);
    let mut said_waiting = false;
    loop {
        match options(config).connect(config.servers.clone()).await {
            Ok(client) => return client,
            Err(error) => {
                if !said_waiting {
                    warn!(servers = ?config.servers, %error,
                        "waiting for nats-server (start it with `make start SERVICE=nats`)");
                    said_waiting = true;
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_BACKOFF);
            }
        }
    }
}

fn options(config: &BusConfig) -> ConnectOptions {
    ConnectOptions::new()
        .name(&config.client_name)
        .connection_timeout(Duration::from_secs(2))
        // Keep trying forever; a lab broker may be down for minutes.
        .max_reconnects(None)
        .reconnect_delay_callback(|attempts| {
            Duration::from_millis((100 * attempts as u64).min(MAX_BACKOFF.as_millis() as u64))
        })
        .event_callback(|event| async move {
            match event {
                Event::Disconnected => warn!("lost the connection to nats-server; reconnecting"),
                Event::Connected => info!("connected to nats-server"),
                // Each failed reconnect attempt reports an IO error; the warning above said
                // it all already.
                Event::ClientError(error) => tracing::debug!(%error, "nats client error"),
                other => info!(event = %other, "nats connection event"),
            }
        })
}

/// Connects (waiting for the server) and makes sure `streams` (and DEADLETTERS, which every
/// consumer may feed) exist, retrying until both work. Every service starts with this, so
/// they can start in any order.
pub async fn connect_and_ensure(
    config: &BusConfig,
    streams: &[crate::streams::StreamDef],
) -> Client {
    let client = connect(config).await;
    let js = async_nats::jetstream::new(client.clone());
    let mut delay = Duration::from_millis(100);
    loop {
        let ensured = async {
            crate::streams::ensure(&js, streams, config.replicas).await?;
            // Create *or update*: its subjects have grown since the first version.
            js.create_or_update_stream(crate::deadletters::config(config.replicas))
                .await?;
            Ok::<_, async_nats::jetstream::context::CreateStreamError>(())
        };
        let Err(error) = ensured.await else { break };
        warn!(%error, "cannot create the streams yet; retrying");
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_BACKOFF);
    }
    client
}

/// Resolves the next time `client` has reconnected — to a restarted server, or after a
/// network blip.
///
/// Each connection gets a fresh client id from the server, and a restarted server has a
/// fresh server id, so a change of the pair means "new connection". Watching the pair rather
/// than the connected/disconnected state also catches outages too short to be sampled.
pub async fn next_reconnect(client: Client) {
    let connection = |client: &Client| {
        let info = client.server_info();
        (info.server_id, info.client_id)
    };
    let first = connection(&client);
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if client.connection_state() == async_nats::connection::State::Connected
            && connection(&client) != first
        {
            return;
        }
    }
}
