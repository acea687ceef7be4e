//! The system view: `GET /system`, `/system/events`.

use serde::{Deserialize, Serialize};

use super::LetterView;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SystemView {
    /// Whether query itself is connected to nats-server.
    pub broker_connected: bool,
    pub services: Vec<ServiceView>,
    pub streams: Vec<StreamView>,
    /// Newest first, each with where it stands with automatic retries.
    pub dead_letters: Vec<LetterView>,
    /// The broker's nodes, as the streams' replica groups see them: one on a single server,
    /// three in a cluster.
    pub nodes: Vec<NodeView>,
}

/// One nats-server node.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeView {
    pub name: String,
    /// Leads a stream, or is a replica its group does not count as offline.
    pub up: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceView {
    pub name: String,
    /// Answered the last ping in time.
    pub up: bool,
    /// How many instances answered.
    #[serde(default)]
    pub instances: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamView {
    pub name: String,
    pub messages: u64,
    /// The sequence of the oldest and of the newest message it holds (0 when empty): the
    /// two ends of its tape on the Streams page.
    #[serde(default)]
    pub first_seq: u64,
    #[serde(default)]
    pub last_seq: u64,
    /// Durable consumers only, by name.
    #[serde(default)]
    pub consumers: Vec<ConsumerView>,
    /// Who leads the stream and how its replicas are doing (absent before it has a leader).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<StreamCluster>,
}

/// A stream's replica group.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamCluster {
    /// The node that leads it (takes its writes), if one does right now.
    #[serde(default)]
    pub leader: Option<String>,
    /// The other nodes that hold a copy.
    #[serde(default)]
    pub replicas: Vec<ReplicaView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaView {
    pub name: String,
    /// Has everything the leader has.
    pub current: bool,
    /// Not heard from: its node is down or cut off.
    #[serde(default)]
    pub offline: bool,
    /// How many operations it is behind the leader.
    #[serde(default)]
    pub lag: u64,
    /// Milliseconds since the leader last heard from it.
    #[serde(default)]
    pub seen_ms_ago: u64,
}

impl ReplicaView {
    /// How long a replica may stay silent before its node counts as down.
    pub const SILENT_AFTER_MS: u64 = 5_000;

    /// Whether its node seems up: not offline, and either current or heard from lately. (A
    /// leader elected after a node died has never heard from it: 0 ms, and not current.)
    pub fn seems_up(&self) -> bool {
        let heard_lately = self.seen_ms_ago > 0 && self.seen_ms_ago < Self::SILENT_AFTER_MS;
        !self.offline && (self.current || heard_lately)
    }
}

/// A durable consumer's backlog.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerView {
    pub name: String,
    /// In the stream, not yet delivered to it.
    pub pending: u64,
    /// Delivered, not yet acknowledged (being worked on, or waiting for a retry).
    pub ack_pending: u64,
    /// Delivered more than once.
    pub redelivered: u64,
    /// Its two cursors on the stream's tape: the last stream sequence delivered to it, and
    /// the acknowledgement floor (every message up to it is acknowledged).
    #[serde(default)]
    pub delivered_seq: u64,
    #[serde(default)]
    pub ack_floor_seq: u64,
    /// The subjects it reads (none: the whole stream); a message on another subject is
    /// never pending for it.
    #[serde(default)]
    pub filters: Vec<String>,
}
