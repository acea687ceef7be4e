//! Service discovery with the NATS services API.
//!
//! Every service registers itself (name, version, a random instance id) and answers the
//! standard `$SRV.PING`, `$SRV.INFO` and `$SRV.STATS` requests — so `nats micro ls` or our
//! own `/system` view can see who is up, and how many instances of each, without any
//! registry of our own. Each instance also serves one endpoint, `blog.<name>.status`, which
//! answers with the same JSON as its `/health` (and so shows up in the endpoint statistics).

use async_nats::service::{PingResponse, ServiceExt};
use async_nats::Client;
use futures::StreamExt;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

/// Registers `name` and answers status requests with `status()` until `shutdown`.
pub async fn announce<F>(client: Client, name: &str, shutdown: CancellationToken, status: F)
where
    F: Fn() -> serde_json::Value,
{
    announce_with(client, name, HashMap::new(), shutdown, status).await
}

/// Like [`announce`], with metadata that pings return (query names its instance there).
pub async fn announce_with<F>(
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

/// Pings every service and collects the answers that arrive within `wait`: instance ids by
/// service name.
pub async fn ping_all(client: &Client, wait: Duration) -> BTreeMap<String, Vec<String>> {
    let mut instances: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for ping in ping(client, "$SRV.PING".into(), wait).await {
        instances.entry(ping.name).or_default().push(ping.id);
    }
    instances
}

/// Pings the instances of the service `name` and collects their answers within `wait`.
pub async fn ping_service(client: &Client, name: &str, wait: Duration) -> Vec<PingResponse> {
    ping(client, format!("$SRV.PING.{name}"), wait).await
}

/// Sends one ping on `subject` and gathers every answer that arrives within `wait`.
async fn ping(client: &Client, subject: String, wait: Duration) -> Vec<PingResponse> {
    let mut answered = Vec::new();
    let inbox = client.new_inbox();
    let Ok(mut answers) = client.subscribe(inbox.clone()).await else {
        return answered;
    };
    if client
        .publish_with_reply(subject, inbox, "".into())
        .await
        .is_err()
    {
        return answered;
    }
    let deadline = tokio::time::sleep(wait);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => break,
            answer = answers.next() => match answer {
                Some(message) => {
                    if let Ok(ping) = serde_json::from_slice::<PingResponse>(&message.payload) {
                        answered.push(ping);
                    }
                }
                None => break,
            },
        }
    }
    answered
}
