//! The JetStream plumbing every blog service shares.
//!
//! Every service talks to the others only through NATS JetStream. What they must agree on
//! — the events, the names, the JSON — is the `contract` crate, which this one re-exports;
//! what is here is how they reach the broker, and nothing that belongs to one service alone.
//!
//! # Layout
//!
//! - [`ids`], [`event`]: the contract's ids and events (re-exported), whose constructors
//!   make fresh and derived ids.
//! - [`streams`]: how JetStream stores the three streams (their names and subjects are the
//!   contract's `StreamDef`).
//! - [`config`]: where the broker is (server list, replica count) and who we are to it,
//!   read from the environment.
//! - [`auth`]: the NATS users (one per service, `admin`, `learner`) and their passwords.
//! - [`connect`]: connect to NATS as our user, waiting for the server and for our streams.
//! - [`provision`]: the one privileged path (as `admin`) that creates the streams.
//! - [`lookup`]: asking a stream what it holds (the last event on a subject, the event at a
//!   sequence): how handlers check what is already stored before they publish an effect.
//! - [`publish`]: publish an event with its id in `Nats-Msg-Id`; a broker outage becomes a
//!   `PublishError` that HTTP handlers turn into a 503.
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
//!   messages a consumer gave up on, and the notes consumers leave beside them.
//! - [`discovery`]: registering with the NATS services API, so others can see who is up.
//! - [`progress`]: "have I applied everything up to sequence N yet?", as a watch channel.
//! - [`shutdown`]: Ctrl-C / SIGTERM as a cancellation token.
//! - [`telemetry`]: the log format every service shares.
//! - `testing` (feature `testing`): a real nats-server on a random port, or a cluster of
//!   them, for tests.

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
