//! The live system view behind `GET /system`: who is up, what the streams hold, every
//! durable consumer's backlog, and the dead letters.
//!
//! Once a second query asks the broker — a `$SRV.PING` to every service (the NATS services
//! API), stream and consumer info from JetStream — and publishes the answer, serialized
//! once, to everyone watching. A service counts as up if it answered the ping in time.

use crate::dead_letters::DeadLetters;
use async_nats::connection::State;
use async_nats::jetstream;
use contract::names::{ServiceName, StreamDef, DEAD_LETTERS};
use futures::StreamExt;
use parking_lot::RwLock;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// How long a service has to answer the ping.
const PING_WAIT: Duration = Duration::from_millis(300);
const EVERY: Duration = Duration::from_secs(1);

/// The view's shapes, from the wire contract.
pub use contract::views::{
    ConsumerView, NodeView, ReplicaView, ServiceView, StreamCluster, StreamView, SystemView,
};
use std::collections::BTreeMap;

/// The streams shown: every event stream of the contract, the partitioned work streams,
/// and the dead letters.
pub fn streams_shown() -> Vec<&'static str> {
    let events = StreamDef::ALL.iter().map(|stream| stream.name());
    let work = bus::partitions::ALL.iter().map(|work| work.name);
    events.chain(work).chain([DEAD_LETTERS]).collect()
}

/// Looks at the system once.
pub async fn look(js: &jetstream::Context, dead_letters: &RwLock<DeadLetters>) -> SystemView {
    let client = js.client();
    let connected = client.connection_state() == State::Connected;
    let mut instances = if connected {
        crate::ping::ping_all(&client, PING_WAIT).await
    } else {
        Default::default()
    };
    // Every service the contract names, up or not; any others that answer are listed too.
    let mut services: Vec<ServiceView> = ServiceName::ALL
        .iter()
        .map(|service| {
            let count = instances.remove(service.name()).map_or(0, |ids| ids.len());
            ServiceView {
                name: service.name().to_owned(),
                up: count > 0,
                instances: count as u64,
            }
        })
        .collect();
    services.extend(instances.into_iter().map(|(name, ids)| ServiceView {
        name,
        up: true,
        instances: ids.len() as u64,
    }));
    let mut streams = Vec::new();
    if connected {
        for name in streams_shown() {
            if let Some(view) = stream_view(js, name).await {
                streams.push(view);
            }
        }
    }
    SystemView {
        broker_connected: connected,
        services,
        nodes: nodes_of(&streams),
        streams,
        dead_letters: dead_letters.read().newest(),
    }
}

/// The nodes the streams' replica groups name, each up if it leads a stream or a group has
/// heard from it lately. A node is down when no group has.
fn nodes_of(streams: &[StreamView]) -> Vec<NodeView> {
    let mut up: BTreeMap<String, bool> = BTreeMap::new();
    for cluster in streams.iter().filter_map(|s| s.cluster.as_ref()) {
        if let Some(leader) = &cluster.leader {
            up.insert(leader.clone(), true);
        }
        for replica in &cluster.replicas {
            *up.entry(replica.name.clone()).or_insert(false) |= replica.seems_up();
        }
    }
    up.into_iter()
        .map(|(name, up)| NodeView { name, up })
        .collect()
}

async fn stream_view(js: &jetstream::Context, name: &str) -> Option<StreamView> {
    // `get_stream` already fetched the stream's info: no second request for it.
    let stream = js.get_stream(name).await.ok()?;
    let state = &stream.cached_info().state;
    let (messages, first_seq, last_seq) =
        (state.messages, state.first_sequence, state.last_sequence);
    let mut consumers = Vec::new();
    let mut infos = stream.consumers();
    while let Some(Ok(info)) = infos.next().await {
        // Durable consumers only: the ephemeral replay readers are not backlogs.
        if info.config.durable_name.is_none() {
            continue;
        }
        consumers.push(ConsumerView {
            name: info.name,
            pending: info.num_pending,
            ack_pending: info.num_ack_pending as u64,
            redelivered: info.num_redelivered as u64,
            delivered_seq: info.delivered.stream_sequence,
            ack_floor_seq: info.ack_floor.stream_sequence,
            filters: filters_of(&info.config),
        });
    }
    consumers.sort_by(|a, b| a.name.cmp(&b.name));
    let cluster = stream
        .cached_info()
        .cluster
        .as_ref()
        .map(|c| StreamCluster {
            leader: c.leader.clone(),
            replicas: c
                .replicas
                .iter()
                .map(|peer| ReplicaView {
                    name: peer.name.clone(),
                    current: peer.current,
                    offline: peer.offline,
                    lag: peer.lag.unwrap_or(0),
                    seen_ms_ago: u64::try_from(peer.active.as_millis()).unwrap_or(u64::MAX),
                })
                .collect(),
        });
    Some(StreamView {
        name: name.to_owned(),
        messages,
        first_seq,
        last_seq,
        consumers,
        cluster,
    })
}

/// The subjects a consumer reads: its one filter, or its several (none: everything).
fn filters_of(config: &jetstream::consumer::Config) -> Vec<String> {
    let one = Some(config.filter_subject.clone()).filter(|f| !f.is_empty());
    one.into_iter()
        .chain(config.filter_subjects.iter().cloned())
        .collect()
}

/// Looks every second until `shutdown`, sending the JSON when it changes.
pub async fn watch(
    js: jetstream::Context,
    dead_letters: Arc<RwLock<DeadLetters>>,
    view: watch::Sender<Arc<str>>,
    shutdown: CancellationToken,
) {
    while !shutdown.is_cancelled() {
        let json = serde_json::to_string(&look(&js, &dead_letters).await).unwrap_or_default();
        view.send_if_modified(|current| {
            let changed = **current != *json;
            if changed {
                *current = json.into();
            }
            changed
        });
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}
