//! The four services as real processes: the release binaries `make run` starts, each on a
//! free port against the benchmark's own nats-server. Real processes rather than in-process
//! tasks, so each one's memory can be read from `/proc` and a replay is timed from a cold
//! start, exactly as a learner's `make start SERVICE=query` would do it.

use crate::http;
use crate::processes::{free_port, Child, Memory};
use anyhow::{bail, Context};
use hyper::StatusCode;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Posts,
    Comments,
    Moderation,
    Query,
}

impl Service {
    pub const ALL: [Service; 4] = [
        Service::Posts,
        Service::Comments,
        Service::Moderation,
        Service::Query,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Service::Posts => "posts",
            Service::Comments => "comments",
            Service::Moderation => "moderation",
            Service::Query => "query",
        }
    }
}

/// Builds the service binaries in release mode, so the benchmark never measures stale code.
/// `make bench` runs us through `cargo run`, which sets `$CARGO`; the build reuses the
/// workspace's target folder and is a no-op when nothing changed.
pub fn build_release_binaries() -> anyhow::Result<()> {
    if std::env::var("BENCH_SKIP_BUILD").is_ok() {
        return Ok(());
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut command = Command::new(cargo);
    command
        .current_dir(&workspace)
        .args(["build", "--release", "--quiet"]);
    for service in Service::ALL {
        command.args(["-p", service.name()]);
    }
    let status = command
        .status()
        .context("running cargo build for the services")?;
    if !status.success() {
        bail!("building the services failed ({status})");
    }
    Ok(())
}

/// Where the release binaries are: beside our own (`target/release/bench`).
fn binary(service: Service) -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe().context("finding the bench binary")?;
    let folder = me.parent().context("the bench binary has no folder")?;
    let path = folder.join(service.name());
    if !path.exists() {
        bail!(
            "{} is missing; run `cargo build --release --bins`",
            path.display()
        );
    }
    Ok(path)
}

pub struct Running {
    pub service: Service,
    pub port: u16,
    child: Child,
    started: Instant,
}

/// How a service is started: which broker, which log level, and a folder for its log.
#[derive(Clone)]
pub struct Launcher {
    pub nats_url: String,
    pub rust_log: String,
    pub logs: PathBuf,
}

impl Launcher {
    /// Starts `service` without waiting for it to be ready.
    pub fn spawn(&self, service: Service) -> anyhow::Result<Running> {
        let port = free_port()?;
        let mut command = Command::new(binary(service)?);
        command
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("NATS_URL", &self.nats_url)
            .env("RUST_LOG", &self.rust_log)
            .env("QUERY_INSTANCE", "query");
        let log = self.logs.join(format!("{}-{port}.log", service.name()));
        let started = Instant::now();
        let child = Child::spawn(service.name(), command, &log)?;
        Ok(Running {
            service,
            port,
            child,
            started,
        })
    }

    /// Starts `services` together and waits until each says ready.
    pub async fn start_all(&self, services: &[Service]) -> anyhow::Result<Vec<Running>> {
        let mut running = Vec::new();
        for service in services {
            running.push(self.spawn(*service)?);
        }
        for service in &mut running {
            service.wait_ready(Duration::from_secs(600)).await?;
        }
        Ok(running)
    }
}

impl Running {
    /// Polls `/health` until it answers 200, and says how long after the start that was.
    /// Polled every 5 ms: often enough to time a replay closely, rarely enough to cost the
    /// service nothing measurable.
    pub async fn wait_ready(&mut self, timeout: Duration) -> anyhow::Result<Duration> {
        let deadline = self.started + timeout;
        let mut connection: Option<http::Conn> = None;
        loop {
            self.child.check_alive()?;
            if connection.is_none() {
                connection = http::Conn::open(self.port).await.ok();
            }
            if let Some(conn) = connection.as_mut() {
                match conn.get("/health").await {
                    Ok((StatusCode::OK, _)) => return Ok(self.started.elapsed()),
                    Ok(_) => {}
                    Err(_) => connection = None,
                }
            }
            if Instant::now() > deadline {
                bail!("{} is not ready after {timeout:?}", self.service.name());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    pub fn memory(&self) -> anyhow::Result<Memory> {
        self.child
            .memory()
            .with_context(|| format!("reading the memory of {}", self.service.name()))
    }
}

/// The running service `service` in `running`.
pub fn find(running: &[Running], service: Service) -> anyhow::Result<&Running> {
    running
        .iter()
        .find(|r| r.service == service)
        .with_context(|| format!("{} is not running", service.name()))
}
