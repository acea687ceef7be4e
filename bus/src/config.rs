//! Where the broker is, and who we are to it. Kept in one place so moving to a cluster
//! (several URLs, three replicas) or changing credentials is a configuration change, not a
//! code change per service. The credentials are kept apart from the URLs, so a server list
//! never carries a password.

use crate::auth::Credentials;
use std::env;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct BusConfig {
    /// nats-server URLs, tried in turn: `NATS_URL`, comma separated.
    pub servers: Vec<String>,
    /// Replicas per stream: `NATS_REPLICAS` (1 on a single server, 3 on a cluster).
    pub replicas: usize,
    /// The connection name the server shows in its monitoring pages.
    pub client_name: String,
    /// How long a durable consumer waits for an ack before redelivering: `NATS_ACK_WAIT_MS`.
    /// A handler that works longer keeps its message by sending in-progress acks.
    pub ack_wait: Duration,
    /// The NATS user to connect as (see [`crate::auth`]); `None` connects anonymously,
    /// which nats-server refuses (the tests prove it).
    pub credentials: Option<Credentials>,
}

impl BusConfig {
    pub const DEFAULT_URL: &'static str = "nats://127.0.0.1:4222";
    pub const DEFAULT_ACK_WAIT: Duration = Duration::from_secs(30);

    /// A configuration for one server at `url`, one replica, connecting as `user` (also the
    /// connection's name).
    pub fn single(url: impl Into<String>, user: &str) -> BusConfig {
        BusConfig {
            servers: vec![url.into()],
            replicas: 1,
            client_name: user.to_owned(),
            credentials: Some(Credentials::from_env(user)),
            ack_wait: Self::DEFAULT_ACK_WAIT,
        }
    }

    /// Reads `NATS_URL` and `NATS_REPLICAS`; anything missing gets the local default. The
    /// service connects as the user named after it, with its password from the environment
    /// ([`Credentials::from_env`]).
    pub fn from_env(service: &str) -> Result<BusConfig, String> {
        let servers = env::var("NATS_URL")
            .unwrap_or_else(|_| Self::DEFAULT_URL.to_owned())
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>();
        if servers.is_empty() {
            return Err("NATS_URL is set but names no server".to_owned());
        }
        let replicas = match env::var("NATS_REPLICAS") {
            Ok(value) => value
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=5).contains(n))
                .ok_or_else(|| {
                    format!("NATS_REPLICAS must be a number from 1 to 5, not {value:?}")
                })?,
            Err(_) => 1,
        };
        let ack_wait = match env::var("NATS_ACK_WAIT_MS") {
            Ok(value) => value
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|ms| (100..=3_600_000).contains(ms))
                .map(Duration::from_millis)
                .ok_or_else(|| {
                    format!(
                        "NATS_ACK_WAIT_MS must be milliseconds from 100 to 3600000, not {value:?}"
                    )
                })?,
            Err(_) => Self::DEFAULT_ACK_WAIT,
        };
        Ok(BusConfig {
            servers,
            replicas,
            client_name: service.to_owned(),
            credentials: Some(Credentials::from_env(service)),
            ack_wait,
        })
    }

    /// The same servers, as another user (e.g. query's retry connection as `admin`), with
    /// the connection named `client_name`.
    pub fn as_user(&self, user: &str, client_name: &str) -> BusConfig {
        BusConfig {
            client_name: client_name.to_owned(),
            credentials: Some(Credentials::from_env(user)),
            ..self.clone()
        }
    }
}
