//! Cluster tests: a real three-node JetStream cluster (`bus::testing::TestCluster`), streams
//! with three replicas, and several instances of the services, started in-process.
//!
//! A test binary of its own: each test starts three nats-servers, and keeping them apart
//! from the single-node system tests lets `cargo test -p system-tests --test cluster` run
//! just these.

// Shared with the workshop's test binary, which uses other parts of it.
#[allow(dead_code)]
mod helpers;
mod lost_pull;
mod node_loss;
mod partitions;
mod system_view;
