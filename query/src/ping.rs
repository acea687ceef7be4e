//! Who is up: pinging the services through the NATS services API (`$SRV.PING`), which every
//! service answers once it has registered (see `bus::discovery`). Only query asks: for
//! `/system`, and to refuse to start beside a twin of itself.

use async_nats::service::PingResponse;
use async_nats::{Client, StatusCode};
use futures::StreamExt;
use std::collections::BTreeMap;
use std::time::Duration;

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
                // Nobody listens on `subject`: the server says so at once, and there is no
                // point waiting out `wait` (query's start asks before anything runs).
                Some(message) if message.status == Some(StatusCode::NO_RESPONDERS) => break,
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
