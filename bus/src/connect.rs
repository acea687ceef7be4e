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

/// Connects (waiting for the server) and makes sure `streams` exist, retrying until both
/// work. Every service starts with this, so they can start in any order.
pub async fn connect_and_ensure(
    config: &BusConfig,
    streams: &[crate::streams::StreamDef],
) -> Client {
    let client = connect(config).await;
    let js = async_nats::jetstream::new(client.clone());
    let mut delay = Duration::from_millis(100);
    while let Err(error) = crate::streams::ensure(&js, streams, config.replicas).await {
        warn!(%error, "cannot create the streams yet; retrying");
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_BACKOFF);
    }
    client
}

/// Resolves the next time `client` gets its connection back after losing it.
pub async fn next_reconnect(client: Client) {
    let mut was_down = false;
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        match client.connection_state() {
            async_nats::connection::State::Connected if was_down => return,
            async_nats::connection::State::Connected => {}
            _ => was_down = true,
        }
    }
}
