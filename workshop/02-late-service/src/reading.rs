//! How `stats` learns about the blog's events. This is the file to change.

use crate::stats::Stats;
use bus::progress::Progress;
use contract::Event;
use futures::StreamExt;
use parking_lot::RwLock;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Keeps `stats` up to date with the blog's events until `shutdown`, and marks `ready` once
/// it knows everything there is to know.
pub async fn keep_up(
    client: async_nats::Client,
    stats: Arc<RwLock<Stats>>,
    ready: Progress,
    shutdown: CancellationToken,
) {
    // Listens to events as they are published (a plain NATS subscription).
    let Ok(mut events) = client.subscribe("*.>").await else {
        tracing::warn!("cannot subscribe to the events");
        return;
    };
    ready.mark_caught_up();
    loop {
        let message = tokio::select! {
            _ = shutdown.cancelled() => return,
            message = events.next() => message,
        };
        let Some(message) = message else { return };
        if let Ok(event) = Event::from_json(&message.payload) {
            stats.write().apply(&event);
        }
    }
}
