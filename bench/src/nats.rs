//! A fresh nats-server for each measurement: a free port on 127.0.0.1, a store in a
//! temporary folder (on disk, so fsync costs what it really costs), killed and wiped on drop.
//!
//! The two durability modes differ in one line of the server's configuration, exactly as
//! `nats/nats.conf` and `nats/nats-lazy.conf` do.

use anyhow::Context;
use harness::process::{free_port, log_tail, wait_for_port, Child};
use serde::Serialize;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// `sync_interval: always`: fsync before every ack (what `make run` starts).
    Always,
    /// nats-server's default: fsync every two minutes.
    Lazy,
}

impl Durability {
    pub fn label(self) -> &'static str {
        match self {
            Durability::Always => "fsync before ack",
            Durability::Lazy => "lazy fsync",
        }
    }
}

pub struct NatsServer {
    // Declared before `dir`, so the server is killed before its store is deleted.
    server: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl NatsServer {
    pub async fn start(mode: Durability) -> anyhow::Result<NatsServer> {
        let dir = tempfile::Builder::new()
            .prefix("bench-nats-")
            .tempdir()
            .context("a temporary folder for the JetStream store")?;
        let port = free_port()?;
        let config = dir.path().join("nats.conf");
        std::fs::write(&config, config_text(port, &dir.path().join("store"), mode))
            .context("writing the nats-server configuration")?;
        let binary = bus::testing::nats_server_binary();
        let mut command = Command::new(&binary);
        command.arg("-c").arg(&config);
        let mut child = Child::spawn("nats-server", command, &dir.path().join("nats.log"))
            .with_context(|| format!("starting {} (run `make tools`)", binary.display()))?;
        if let Err(error) = wait_for_port(&mut child, port, Duration::from_secs(15)).await {
            return Err(error.context(log_tail(child.log())));
        }
        Ok(NatsServer {
            server: child,
            port,
            _dir: dir,
        })
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.server.pid()
    }

    /// A client of our own, for the baselines and for filling streams.
    pub async fn connect(&self, name: &str) -> anyhow::Result<async_nats::Client> {
        async_nats::ConnectOptions::new()
            .name(name)
            .connect(self.url())
            .await
            .with_context(|| format!("connecting to nats-server at {}", self.url()))
    }
}

fn config_text(port: u16, store: &Path, mode: Durability) -> String {
    let sync = match mode {
        Durability::Always => "  sync_interval: always\n",
        Durability::Lazy => "",
    };
    format!(
        "listen: 127.0.0.1:{port}\nserver_name: bench\n\njetstream {{\n  store_dir: {store:?}\n{sync}}}\n"
    )
}
