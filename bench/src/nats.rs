//! A fresh nats-server for each measurement: a free port on 127.0.0.1, a store in a
//! temporary folder (on disk, so fsync costs what it really costs), killed and wiped on drop.
//!
//! The two durability modes differ in one line of the server's configuration, exactly as
//! `nats/nats.conf` and `nats/nats-lazy.conf` do. Like them, it includes `nats/auth.conf`:
//! the services run as their own NATS users, under the same permissions as in `make run`,
//! and the streams are provisioned as `admin` before they start. The benchmark's own
//! clients (baselines, filling streams) connect as `admin`.

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
        let config = bus::testing::write_config(
            dir.path(),
            port,
            &jetstream_block(&dir.path().join("store"), mode),
        )
        .context("writing the nats-server configuration")?;
        let binary = bus::testing::nats_server_binary();
        let mut command = Command::new(&binary);
        command
            .arg("-c")
            .arg(&config)
            .envs(bus::auth::server_environment());
        let mut child = Child::spawn("nats-server", command, &dir.path().join("nats.log"))
            .with_context(|| format!("starting {} (run `make tools`)", binary.display()))?;
        if let Err(error) = wait_for_port(&mut child, port, Duration::from_secs(15)).await {
            return Err(error.context(log_tail(child.log())));
        }
        let server = NatsServer {
            server: child,
            port,
            _dir: dir,
        };
        let admin = bus::BusConfig::single(server.url(), bus::auth::ADMIN);
        bus::provision::connect_and_provision(&admin, Duration::from_secs(30))
            .await
            .map_err(anyhow::Error::msg)?;
        Ok(server)
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.server.pid()
    }

    /// A client of our own (as `admin`), for the baselines and for filling streams.
    pub async fn connect(&self, name: &str) -> anyhow::Result<async_nats::Client> {
        let admin = bus::auth::Credentials::from_env(bus::auth::ADMIN);
        async_nats::ConnectOptions::with_user_and_password(admin.user, admin.password)
            .name(name)
            .connect(self.url())
            .await
            .with_context(|| format!("connecting to nats-server at {}", self.url()))
    }
}

/// The body of the server's `jetstream {}` block.
fn jetstream_block(store: &Path, mode: Durability) -> String {
    let sync = match mode {
        Durability::Always => "  sync_interval: always\n",
        Durability::Lazy => "",
    };
    format!("  store_dir: {store:?}\n{sync}")
}
