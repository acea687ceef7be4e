//! Provisioning: the one privileged path that creates the streams.
//!
//! The services' NATS users may not create, update or delete streams (`nats/auth.conf`), so
//! a stream can no longer appear because some service happened to start first. Instead the
//! `provision` program (`bus/src/bin/provision.rs`), connected as `admin`, creates every
//! stream from its single definition ([`crate::streams`], [`crate::deadletters`]) right
//! after nats-server starts: `make run` and `make start SERVICE=nats` run it, and so do the
//! test and benchmark harnesses. It is idempotent, so running it again is harmless.

use crate::config::BusConfig;
use crate::streams::{self, StreamDef};
use async_nats::jetstream::{self, kv};
use contract::lab::{KNOBS_BUCKET, WAITING_BUCKET};
use std::time::Duration;
use tracing::{info, warn};

/// Which streams to create besides the event streams, the dead letters and moderation's
/// buckets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkStreams {
    /// The partitioned work streams too (see [`crate::partitions`]), for moderation in
    /// partitioned mode.
    Partitioned,
    /// None: moderation shares one consumer on COMMENTS. A work stream stores a copy of every
    /// comment, a fourth stored message per comment that nothing reads in this mode; it cost
    /// the comment writes a quarter of their rate with fsync before ack (`make bench`:
    /// create-comment 0.39 × raw with MODERATION_WORK, 0.54 without).
    None,
}

impl WorkStreams {
    /// What `MODERATION_MODE` asks for where provisioning runs: `partitioned` wants the
    /// work streams. (`MODERATION_MODE=partitioned make run` provisions them and starts
    /// moderation partitioned.)
    pub fn from_env() -> WorkStreams {
        match std::env::var("MODERATION_MODE").as_deref() {
            Ok("partitioned") => WorkStreams::Partitioned,
            _ => WorkStreams::None,
        }
    }
}

/// Creates POSTS, COMMENTS and MODERATION if missing, creates *or updates* DEADLETTERS (its
/// subjects have grown since its first version), creates the partitioned work streams if
/// `work` asks for them, and moderation's two KV buckets: its live knobs and the comments
/// waiting for a person (see `contract::lab`). A work stream that exists is left as it is
/// either way: a partitioned moderation may be reading it.
pub async fn provision(
    js: &jetstream::Context,
    replicas: usize,
    work: WorkStreams,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    streams::ensure(js, &StreamDef::ALL, replicas).await?;
    js.create_or_update_stream(crate::deadletters::config(replicas))
        .await?;
    if work == WorkStreams::Partitioned {
        for work in crate::partitions::ALL {
            js.get_or_create_stream(work.config(replicas)).await?;
        }
    }
    for (bucket, description, history) in [
        (
            KNOBS_BUCKET,
            "moderation's knobs, watched by every instance",
            10,
        ),
        (
            WAITING_BUCKET,
            "comments waiting for a person's decision",
            1,
        ),
    ] {
        if js.get_key_value(bucket).await.is_err() {
            js.create_key_value(kv::Config {
                bucket: bucket.to_owned(),
                description: description.to_owned(),
                history,
                num_replicas: replicas,
                ..Default::default()
            })
            .await?;
        }
    }
    Ok(())
}

/// Connects with `config` (which should be the `admin` user's) and provisions (with the
/// `work` streams asked for), retrying until it works; gives up after `patience`.
pub async fn connect_and_provision(
    config: &BusConfig,
    patience: Duration,
    work: WorkStreams,
) -> Result<(), String> {
    let provisioning = async {
        let client = crate::connect::connect(config).await;
        let js = jetstream::new(client.clone());
        let mut delay = Duration::from_millis(100);
        loop {
            match provision(&js, config.replicas, work).await {
                Ok(()) => break,
                Err(error) => warn!(%error, "cannot create the streams yet; retrying"),
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(2));
        }
        // Make sure every request reached the server before the connection goes.
        let _ = client.flush().await;
    };
    tokio::time::timeout(patience, provisioning)
        .await
        .map_err(|_| {
            format!(
                "could not provision the streams within {} s",
                patience.as_secs()
            )
        })?;
    let names: Vec<_> = StreamDef::ALL.iter().map(|s| s.name()).collect();
    info!(streams = ?names, deadletters = crate::deadletters::STREAM, ?work, "streams provisioned");
    Ok(())
}
