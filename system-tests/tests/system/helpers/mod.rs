//! The harness: a real broker, the real services started in-process, and a typed HTTP
//! client. Every test starts its own [`TestSystem`] (its own nats-server on a free port).
//!
//! # Layout
//!
//! - [`service`]: the services a test can start, their knobs, and how one is built.
//! - [`system`]: [`TestSystem`] — start, stop (gracefully) and kill services.
//! - [`client`]: one method per HTTP endpoint of each service, plus polling reads.
//! - [`broker`]: looking into (and tampering with) the streams as `admin`.
//! - [`wait`]: the one poll-with-a-deadline helper every wait goes through.
//! - [`answers`]: reading figures out of query's JSON answers.

mod answers;
mod broker;
mod client;
mod service;
mod system;
mod wait;

pub use answers::{comment_ids, consumer, is_up, statuses};
pub use service::{build_service, Knobs, Service};
pub use system::TestSystem;
pub use wait::{eventually, eventually_some, eventually_within, DEADLINE};
