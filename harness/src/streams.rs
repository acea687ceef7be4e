//! What the broker says about the system's work.

use anyhow::Context;
use async_nats::jetstream;
use bus::streams::StreamDef;
use futures::TryStreamExt;

/// Messages the durable consumers of the system's streams still have to deliver or to see
/// acknowledged: 0 once the system has finished all the work it was given (every comment
/// moderated, every decision applied, every query instance caught up).
pub async fn backlog(js: &jetstream::Context) -> anyhow::Result<u64> {
    let mut busy = 0;
    for stream in StreamDef::ALL {
        let handle = js
            .get_stream(stream.name())
            .await
            .with_context(|| format!("finding stream {}", stream.name()))?;
        let consumers: Vec<_> = handle
            .consumers()
            .try_collect()
            .await
            .with_context(|| format!("listing the consumers of {}", stream.name()))?;
        busy += consumers
            .iter()
            .map(|c| c.num_pending + c.num_ack_pending as u64)
            .sum::<u64>();
    }
    Ok(busy)
}
