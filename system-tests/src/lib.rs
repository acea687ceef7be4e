//! System tests live in `tests/system/`: each starts a real nats-server on a random port
//! with a temporary store, starts the real services in-process on port 0, and drives them
//! over HTTP as a user would.
//!
//! # Layout
//!
//! - `tests/system/helpers.rs`: the `TestSystem` harness — start, kill, stop and restart
//!   services and the broker; one typed method per endpoint; polling with a deadline.
//! - one file per behaviour the issue promises (happy path, moderation down, query down,
//!   posts/comments down, broker down, exactly-once effects, bad input).
