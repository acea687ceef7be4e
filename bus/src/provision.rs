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

/// Creates POSTS, COMMENTS and MODERATION if missing, creates *or updates* DEADLETTERS (its
/// subjects have grown since its first version), creates the partitioned work streams (see
/// [`crate::partitions`]) and moderation's two KV buckets: its live knobs and the comments
/// waiting for a person (see `contract::lab`).
pub async fn provision(
    js: &jetstream::Context,
    replicas: usize,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    streams::ensure(js, &StreamDef::ALL, replicas).await?;
    js.create_or_update_stream(crate::deadletters::config(replicas))
        .await?;
    for work in crate::partitions::ALL {
        js.get_or_create_stream(work.config(replicas)).await?;
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

/// Connects with `config` (which should be the `admin` user's) and provisions, retrying
/// until it works; gives up after `patience`.
pub async fn connect_and_provision(config: &BusConfig, patience: Duration) -> Result<(), String> {
    let work = async {
        let client = crate::connect::connect(config).await;
        let js = jetstream::new(client.clone());
        let mut delay = Duration::from_millis(100);
        loop {
            match provision(&js, config.replicas).await {
                Ok(()) => break,
                Err(error) => warn!(%error, "cannot create the streams yet; retrying"),
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(2));
        }
        // Make sure every request reached the server before the connection goes.
        let _ = client.flush().await;
    };
    tokio::time::timeout(patience, work).await.map_err(|_| {
        format!(
            "could not provision the streams within {} s",
            patience.as_secs()
        )
    })?;
    let names: Vec<_> = StreamDef::ALL.iter().map(|s| s.name()).collect();
    info!(streams = ?names, deadletters = crate::deadletters::STREAM, "streams provisioned");
    Ok(())
}
