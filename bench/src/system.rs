//! A freshly started system: its own nats-server (or cluster) in one durability mode and the four
//! services, each ready. The latency and write figures run against it; its memory right
//! after startup is the "at rest" figure.

use crate::history::context;
use crate::nats::{Durability, NatsServer};
use crate::processes::Memory;
use crate::services::{find, Launcher, Running, Service};
use anyhow::bail;
use async_nats::jetstream;
use serde::Serialize;
use std::path::Path;
use std::time::{Duration, Instant};

pub struct System {
    pub mode: Durability,
    // Services first: they are stopped before their broker.
    services: Vec<Running>,
    nats: NatsServer,
    /// Our own client, for the raw baselines.
    pub js: jetstream::Context,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct ServiceMemory {
    pub service: Service,
    #[serde(flatten)]
    pub memory: Memory,
}

impl System {
    pub async fn start(mode: Durability, rust_log: &str, logs: &Path) -> anyhow::Result<System> {
        let nats = NatsServer::start(mode).await?;
        let launcher = Launcher {
            nats_url: nats.url(),
            rust_log: rust_log.into(),
            logs: logs.into(),
        };
        let services = launcher.start_all(&Service::ALL).await?;
        let js = context(nats.connect("bench").await?);
        Ok(System {
            mode,
            services,
            nats,
            js,
        })
    }

    pub fn port(&self, service: Service) -> anyhow::Result<u16> {
        Ok(find(&self.services, service)?.port)
    }

    /// Every process of the system, by name, for a [`crate::processes::CpuMeter`].
    pub fn processes(&self) -> Vec<(String, u32)> {
        let pids = self.nats.pids();
        let mut all: Vec<(String, u32)> = match pids.as_slice() {
            [one] => vec![("nats-server".to_owned(), *one)],
            nodes => (1..)
                .zip(nodes)
                .map(|(n, pid)| (format!("nats-{n}"), *pid))
                .collect(),
        };
        all.extend(
            self.services
                .iter()
                .map(|s| (s.service.name().to_owned(), s.pid())),
        );
        all
    }

    pub fn memory(&self) -> anyhow::Result<Vec<ServiceMemory>> {
        self.services
            .iter()
            .map(|s| {
                Ok(ServiceMemory {
                    service: s.service,
                    memory: s.memory()?,
                })
            })
            .collect()
    }

    /// Waits until every consumer on every stream has nothing left to deliver or to ack:
    /// the moderation chain of the last run has finished, and the next run starts on a
    /// quiet system instead of competing with the leftovers of the previous one.
    pub async fn settle(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let busy = harness::streams::backlog(&self.js).await?;
            if busy == 0 {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("the system still has {busy} events to work off after 5 minutes");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
