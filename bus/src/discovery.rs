//! Service discovery with the NATS services API.
//!
//! Every service registers itself (name, version, a random instance id) and answers the
//! standard `$SRV.PING`, `$SRV.INFO` and `$SRV.STATS` requests — so `nats micro ls` or
//! query's `/system` view (see `query::ping`) can see who is up, and how many instances of
//! each, without any registry of our own. Each instance also serves one endpoint, `blog.<name>.status`, which
//! answers with the same JSON as its `/health` (and so shows up in the endpoint statistics).

use async_nats::service::ServiceExt;
use async_nats::Client;
use futures::StreamExt;
use std::collections::HashMap;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

/// Registers `name`, with `metadata` that pings return (query names its instance there),
/// and answers status requests with `status()` until `shutdown`.
pub async fn announce<F>(
    client: Client,
    name: &str,
    metadata: HashMap<String, String>,
    shutdown: CancellationToken,
    status: F,
) where
    F: Fn() -> serde_json::Value,
{
    let version = env!("CARGO_PKG_VERSION");
    let started = client
        .service_builder()
        .description(format!("the blog's {name} service"))
        .metadata(metadata)
        .start(name, version)
        .await;
    let service = match started {
        Ok(service) => service,
        Err(error) => {
            warn!(%error, "cannot register with the NATS services API; carrying on without");
            return;
        }
    };
    let mut endpoint = match service
        .group(format!("blog.{name}"))
        .endpoint("status")
        .await
    {
        Ok(endpoint) => endpoint,
        Err(error) => {
            warn!(%error, "cannot add the status endpoint");
            return;
        }
    };
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            request = endpoint.next() => match request {
                Some(request) => {
                    let body = serde_json::to_vec(&status()).unwrap_or_default();
                    if let Err(error) = request.respond(Ok(body.into())).await {
                        debug!(%error, "status reply lost");
                    }
                }
                None => break,
            },
        }
    }
    // Deregister at once, so a stopped service stops answering pings.
    let _ = service.stop().await;
}
