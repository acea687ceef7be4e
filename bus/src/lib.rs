//! The shared contract and plumbing of the blog services.
//!
//! Every service talks to the others only through NATS JetStream. This crate holds what
//! they must agree on, and nothing that belongs to one service alone.
//!
//! # Layout
//!
//! - [`ids`]: the uuid newtypes (`PostId`, `CommentId`, `EventId`), and how an event's id is
//!   derived from the event that caused it.
//! - [`event`]: the wire contract — a CloudEvents 1.0 envelope around the four event types.
//! - [`streams`]: the three streams (POSTS, COMMENTS, MODERATION), their subjects and their
//!   one shared configuration.
//! - [`config`]: where the broker is (server list, replica count) and who we are to it,
//!   read from the environment.
//! - [`auth`]: the NATS users (one per service, `admin`, `learner`) and their passwords.
//! - [`connect`]: connect to NATS as our user, waiting for the server and for our streams.
//! - [`provision`]: the one privileged path (as `admin`) that creates the streams.
//! - [`lookup`]: asking a stream what it holds (the last event on a subject, the event at a
//!   sequence): how handlers check what is already stored before they publish an effect.
//! - [`publish`]: publish an event with its id in `Nats-Msg-Id`; a broker outage becomes a
//!   clear `Unavailable` error that HTTP handlers turn into a 503.
//! - [`follow`]: replay a stream from its first message and keep following it (how posts and
//!   comments rebuild their state), with a [`progress::Progress`] that says when the replay
//!   has caught up.
//! - [`consume`]: the durable consumer loop — decode, hand to the service, ack after the work;
//!   bounded retries with backoff, dead letters, and ordered parallelism (serial per entity,
//!   parallel across entities).
//! - [`partitions`]: ordered parallelism across instances — a work stream whose subjects
//!   carry a partition number (NATS's partition function), one consumer per partition,
//!   each pulled by one instance at a time.
//! - [`deadletters`]: the DEADLETTERS stream, which captures JetStream's own advisories about
//!   messages a consumer gave up on.
//! - [`discovery`]: registering with the NATS services API, and pinging who is up.
//! - [`progress`]: "have I applied everything up to sequence N yet?", as a watch channel.
//! - [`shutdown`]: Ctrl-C / SIGTERM as a cancellation token.
//! - [`telemetry`]: the log format every service shares.
//! - `testing` (feature `testing`): start a real nats-server on a random port for tests.

pub mod auth;
pub mod config;
pub mod connect;
pub mod consume;
pub mod deadletters;
pub mod discovery;
pub mod event;
pub mod follow;
pub mod ids;
pub mod lookup;
pub mod partitions;
pub mod progress;
pub mod provision;
pub mod publish;
pub mod shutdown;
pub mod streams;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;

pub use config::BusConfig;
pub use contract::ServiceName;
pub use event::{
    CommentCreated, CommentModerated, CommentStatus, CommentUpdated, Event, EventBody, PostCreated,
};
pub use ids::{CommentId, CorrelationId, EventId, PostId};
pub use publish::{PublishError, Publisher};
pub use streams::StreamDef;
