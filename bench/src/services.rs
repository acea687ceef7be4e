//! The four services as real processes: the release binaries `make run` starts, each on a
//! free port against the benchmark's own nats-server. Real processes rather than in-process
//! tasks, so each one's memory can be read from `/proc` and a replay is timed from a cold
//! start, exactly as a learner's `make start SERVICE=query` would do it.

use crate::http;
use crate::processes::Memory;
use anyhow::{bail, Context};
use harness::process::{free_port, Child};
pub use harness::services::Service;
use hyper::StatusCode;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

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
        self.spawn_with(service, &[])
    }

    /// Like [`Launcher::spawn`], with more environment variables.
    pub fn spawn_with(
        &self,
        service: Service,
        extra_env: &[(String, String)],
    ) -> anyhow::Result<Running> {
        let port = free_port()?;
        // The release binaries are beside our own (`target/release/bench`).
        let binaries = harness::services::own_folder()?;
        let launch = harness::services::Launch {
            binaries: &binaries,
            nats_url: &self.nats_url,
            rust_log: &self.rust_log,
            instance: "query",
            extra_env,
        };
        let command = harness::services::command(service, port, &launch)?;
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
            // Every 20 ms: fine enough for times of seconds (0.5 % of a 4 s replay), and
            // light enough not to slow what it times (at 5 ms, answering and logging the
            // 503s took 2.5 % of query's replay).
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    pub fn memory(&self) -> anyhow::Result<Memory> {
        Memory::of(self.child.pid())
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
