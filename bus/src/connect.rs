//! Connecting to NATS.
//!
//! A service started before nats-server waits for it, saying so in its log, rather than
//! exiting: in a lab where people start and kill things in any order, "wait and retry" is
//! the behaviour that heals. Once connected, async-nats reconnects by itself (forever, with
//! a backoff) whenever the connection drops.
//!
//! Services do not create streams: their NATS users may not (`nats/auth.conf`). The one
//! privileged path that does is [`crate::provision`]; a service waits until the streams it
//! uses exist, saying which one it waits for and who creates it.

use crate::config::BusConfig;
use crate::streams::StreamDef;
use async_nats::jetstream;
use async_nats::{Client, ConnectErrorKind, ConnectOptions, Event};
use std::time::Duration;
use tracing::{info, warn};

/// The longest pause between two connection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Connects, retrying until a server answers and accepts our user. Only returns once
/// connected.
pub async fn connect(config: &BusConfig) -> Client {
    let mut delay = Duration::from_millis(100);
    let mut said_waiting = false;
    loop {
        match options(config).connect(config.servers.clone()).await {
            Ok(client) => return client,
            Err(error) => {
                if !said_waiting {
                    said_waiting = true;
                    if matches!(error.kind(), ConnectErrorKind::AuthorizationViolation) {
                        let user = config
                            .credentials
                            .as_ref()
                            .map_or("(anonymous)", |c| &c.user);
                        let variable = crate::auth::password_variable(user);
                        warn!(user, servers = ?config.servers,
                            "nats-server refuses this user or password; both sides read ${variable} \
                             (see the README's \"NATS users\"); retrying");
                    } else {
                        warn!(servers = ?config.servers, %error,
                            "waiting for nats-server (start it with `make start SERVICE=nats`)");
                    }
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_BACKOFF);
            }
        }
    }
}

fn options(config: &BusConfig) -> ConnectOptions {
    let options = match &config.credentials {
        Some(credentials) => ConnectOptions::with_user_and_password(
            credentials.user.clone(),
            credentials.password.clone(),
        ),
        None => ConnectOptions::new(),
    };
    options
        .name(&config.client_name)
        .connection_timeout(Duration::from_secs(2))
        // Keep trying forever; a lab broker may be down for minutes.
        .max_reconnects(None)
        .reconnect_delay_callback(reconnect_delay)
        .event_callback(|event| async move {
            match event {
                Event::Disconnected => warn!("lost the connection to nats-server; reconnecting"),
                Event::Connected => info!("connected to nats-server"),
                // Each failed reconnect attempt reports an IO error; the warning above said
                // it all already.
                Event::ClientError(error) => tracing::debug!(%error, "nats client error"),
                // Most often a permissions violation: our user tried something
                // nats/auth.conf does not allow it. Worth a loud line, never silence.
                Event::ServerError(error) => warn!(%error, "nats-server refused a request"),
                other => info!(event = %other, "nats connection event"),
            }
        })
}

/// How long the client waits before its `attempt`-th try (1, 2, …) since it was last
/// connected: not at all the first time, then 100 ms more each time, up to [`MAX_BACKOFF`].
///
/// The client waits *before* every try, the very first connection's included: a delay for
/// attempt 1 is paid by every start of every service (it was 100 ms, twice in query's
/// start, a sixth of the time to replay 100k events), and by every reconnect.
fn reconnect_delay(attempt: usize) -> Duration {
    let waits = attempt.saturating_sub(1) as u64;
    Duration::from_millis(100_u64.saturating_mul(waits)).min(MAX_BACKOFF)
}

/// Connects (waiting for the server) and waits until `streams` and DEADLETTERS (which every
/// consumer may feed) exist. Every service starts with this, so they can start in any order,
/// before or after the streams are provisioned.
pub async fn connect_and_wait_for(config: &BusConfig, streams: &[StreamDef]) -> Client {
    let client = connect(config).await;
    let js = jetstream::new(client.clone());
    let names = streams
        .iter()
        .map(|s| s.name())
        .chain([crate::deadletters::STREAM]);
    for name in names {
        wait_for_stream(&js, name).await;
    }
    client
}

/// Waits until the stream `name` exists.
async fn wait_for_stream(js: &jetstream::Context, name: &str) {
    let mut delay = Duration::from_millis(100);
    let mut said_waiting = false;
    loop {
        // `get_stream` asks for the stream's info: "not found" until it is provisioned.
        let Err(error) = js.get_stream(name).await else {
            return;
        };
        if !said_waiting {
            said_waiting = true;
            warn!(stream = name, %error,
                "waiting for the stream to exist; services may not create streams: `make run` \
                 (or `make start SERVICE=nats`) creates them with the `provision` program, as admin");
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_BACKOFF);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_try_is_at_once_and_later_ones_back_off_to_a_ceiling() {
        assert_eq!(reconnect_delay(1), Duration::ZERO);
        assert_eq!(reconnect_delay(2), Duration::from_millis(100));
        assert_eq!(reconnect_delay(4), Duration::from_millis(300));
        assert_eq!(reconnect_delay(1_000), MAX_BACKOFF);
        assert_eq!(reconnect_delay(usize::MAX), MAX_BACKOFF);
    }
}
