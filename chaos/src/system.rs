//! The system under test as child processes: nats-server and the services, each on a port
//! of 127.0.0.1 chosen once and kept across restarts (clients keep talking to the same
//! address, as they would to a real service), with a store and logs inside the run folder —
//! never `make run`'s `data/`.
//!
//! [`System::command`] is the one place that says how any process is started; credentials or
//! a cluster change it and nothing else. Every process is a `harness::process::Child`, killed
//! when the system is dropped, so no run leaves processes behind.

use crate::faults::Target;
use anyhow::{bail, Context};
use harness::process::{free_port, wait_for_port, Child, Signal};
use harness::services::{Launch, Service};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How to start the system.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where the service binaries are (`target/release` for `make chaos`).
    pub binaries: PathBuf,
    /// Every durable consumer's ack wait (`NATS_ACK_WAIT_MS`): short, so a pause can outlast
    /// it within a short run.
    pub ack_wait: Duration,
    /// How many query instances to run; each has its own consumers and read model.
    pub query_instances: u8,
    pub rust_log: String,
}

struct Process {
    target: Target,
    port: u16,
    /// `None` while the process is down on purpose (killed or stopped by a fault).
    child: Option<Child>,
}

pub struct System {
    settings: Settings,
    /// nats-server first, then the services; [`Drop`] stops them in reverse.
    processes: Vec<Process>,
    nats_config: PathBuf,
    logs: PathBuf,
}

/// The repository's own nats-server configuration (`nats/nats.conf`, what `make run` uses:
/// fsync before every ack, and whatever users it defines), with its store moved into the run
/// folder. nats-server refuses `-sd` beside a `store_dir` in the file, so the line is
/// rewritten; ports are overridden by flags.
fn write_nats_config(folder: &Path, store: &Path) -> anyhow::Result<PathBuf> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../nats/nats.conf");
    let text =
        std::fs::read_to_string(&repo).with_context(|| format!("reading {}", repo.display()))?;
    let mut moved = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| match line.trim_start().strip_prefix("store_dir") {
            Some(_) => {
                moved = true;
                format!("  store_dir: {store:?}")
            }
            None => line.to_owned(),
        })
        .collect();
    anyhow::ensure!(
        moved,
        "{} has no store_dir line to point at the run folder",
        repo.display()
    );
    // It includes the users and permissions from beside it.
    let auth = bus::testing::auth_conf();
    std::fs::copy(&auth, folder.join("auth.conf"))
        .with_context(|| format!("copying {}", auth.display()))?;
    let config = folder.join("nats.conf");
    std::fs::write(&config, lines.join("\n") + "\n")
        .with_context(|| format!("writing {}", config.display()))?;
    Ok(config)
}

impl System {
    /// Starts nats-server and every service, and waits until each is ready.
    pub async fn start(settings: Settings, folder: &Path) -> anyhow::Result<System> {
        let logs = folder.join("logs");
        std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
        let nats_config = write_nats_config(folder, &folder.join("nats-store"))?;
        let mut system = System {
            settings,
            processes: Vec::new(),
            nats_config,
            logs,
        };
        let mut targets = vec![Target::Nats(1)];
        targets.extend(
            [Service::Posts, Service::Comments, Service::Moderation].map(|service| {
                Target::Service {
                    service,
                    instance: 1,
                }
            }),
        );
        for instance in 1..=system.settings.query_instances {
            targets.push(Target::Service {
                service: Service::Query,
                instance,
            });
        }
        for target in targets {
            system.add(target).await?;
            if target == Target::Nats(1) {
                // The services may not create streams: `admin` does, once, as `make run` does.
                let admin = bus::BusConfig::single(system.nats_url(), bus::auth::ADMIN);
                bus::provision::connect_and_provision(&admin, Duration::from_secs(30))
                    .await
                    .map_err(anyhow::Error::msg)?;
            }
        }
        system.wait_ready(Duration::from_secs(120)).await?;
        Ok(system)
    }

    /// Adds and starts one more process (the fresh query instance, at the end of a run).
    pub async fn add(&mut self, target: Target) -> anyhow::Result<()> {
        let port = free_port()?;
        self.processes.push(Process {
            target,
            port,
            child: None,
        });
        self.restart(target)?;
        if let Target::Nats(_) = target {
            let process = self.process_mut(target)?;
            if let Some(child) = process.child.as_mut() {
                wait_for_port(child, port, Duration::from_secs(30)).await?;
            }
        }
        Ok(())
    }

    /// The command that starts `target` on `port`: the one place that says how the system is
    /// started.
    fn command(&self, target: Target, port: u16) -> anyhow::Result<Command> {
        match target {
            Target::Nats(_) => {
                let mut command = Command::new(bus::testing::nats_server_binary());
                command
                    .arg("-c")
                    .arg(&self.nats_config)
                    .args(["-a", "127.0.0.1", "-p", &port.to_string()])
                    .args(["-m", &free_port()?.to_string()])
                    // The passwords of the users in auth.conf.
                    .envs(bus::auth::server_environment());
                Ok(command)
            }
            Target::Service { service, instance } => {
                let extra_env = [
                    (
                        "NATS_ACK_WAIT_MS".to_owned(),
                        self.settings.ack_wait.as_millis().to_string(),
                    ),
                    // The logs are files to read, not a terminal: no colour codes.
                    ("NO_COLOR".to_owned(), "1".to_owned()),
                ];
                let instance_name = format!("{}-{instance}", service.name());
                let nats_url = self.nats_url();
                let launch = Launch {
                    binaries: &self.settings.binaries,
                    nats_url: &nats_url,
                    rust_log: &self.settings.rust_log,
                    instance: &instance_name,
                    extra_env: &extra_env,
                };
                harness::services::command(service, port, &launch)
            }
        }
    }

    /// (Re)starts `target` on its port, appending to its log.
    pub fn restart(&mut self, target: Target) -> anyhow::Result<()> {
        let port = self.process(target)?.port;
        let command = self.command(target, port)?;
        let log = self.logs.join(format!("{target}.log"));
        let child = Child::spawn_appending(&target.to_string(), command, &log)?;
        self.process_mut(target)?.child = Some(child);
        Ok(())
    }

    /// Sends `signal` to `target` (an error if it is down).
    pub fn signal(&mut self, target: Target, signal: Signal) -> anyhow::Result<()> {
        match &self.process(target)?.child {
            Some(child) => child.signal(signal),
            None => bail!("{target} is not running"),
        }
    }

    /// Takes `target`'s process out of the system (it is then down on purpose): the caller
    /// kills or stops it without holding the system's lock while it waits.
    pub fn take(&mut self, target: Target) -> anyhow::Result<Option<Child>> {
        Ok(self.process_mut(target)?.child.take())
    }

    /// Processes that exited although no fault stopped them: each is a finding. They are
    /// restarted, so the run can go on and the checker still sees a whole system.
    pub fn restart_crashed(&mut self) -> Vec<String> {
        let mut crashed = Vec::new();
        let targets: Vec<Target> = self.processes.iter().map(|p| p.target).collect();
        for target in targets {
            let status = self
                .process_mut(target)
                .ok()
                .and_then(|p| p.child.as_mut())
                .and_then(|child| child.exited().ok().flatten());
            if let Some(status) = status {
                let restarted = match self.restart(target) {
                    Ok(()) => "restarted".to_owned(),
                    Err(error) => format!("restart failed: {error:#}"),
                };
                crashed.push(format!("{target} exited by itself ({status}); {restarted}"));
            }
        }
        crashed
    }

    /// Every process a fault may hit.
    pub fn targets(&self) -> Vec<Target> {
        self.processes.iter().map(|p| p.target).collect()
    }

    /// The query instances, in order.
    pub fn query_targets(&self) -> Vec<Target> {
        self.targets()
            .into_iter()
            .filter(|t| {
                matches!(
                    t,
                    Target::Service {
                        service: Service::Query,
                        ..
                    }
                )
            })
            .collect()
    }

    pub fn url(&self, target: Target) -> anyhow::Result<String> {
        Ok(format!("http://127.0.0.1:{}", self.process(target)?.port))
    }

    pub fn service_url(&self, service: Service) -> anyhow::Result<String> {
        self.url(Target::Service {
            service,
            instance: 1,
        })
    }

    pub fn nats_url(&self) -> String {
        let port = self
            .process(Target::Nats(1))
            .map(|p| p.port)
            .unwrap_or_default();
        format!("nats://127.0.0.1:{port}")
    }

    pub fn logs(&self) -> &Path {
        &self.logs
    }

    /// Waits until every service answers `GET /health` with 200.
    pub async fn wait_ready(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        for target in self.targets() {
            if let Target::Nats(_) = target {
                continue;
            }
            let url = format!("{}/health", self.url(target)?);
            loop {
                let ready = http
                    .get(&url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == reqwest::StatusCode::OK);
                if ready {
                    break;
                }
                if let Some(child) = self.process_mut(target)?.child.as_mut() {
                    child.check_alive()?;
                }
                if Instant::now() > deadline {
                    bail!(
                        "{target} is not ready after {timeout:?} (see {})",
                        self.logs.display()
                    );
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(())
    }

    fn process(&self, target: Target) -> anyhow::Result<&Process> {
        self.processes
            .iter()
            .find(|p| p.target == target)
            .with_context(|| format!("no process {target}"))
    }

    fn process_mut(&mut self, target: Target) -> anyhow::Result<&mut Process> {
        self.processes
            .iter_mut()
            .find(|p| p.target == target)
            .with_context(|| format!("no process {target}"))
    }
}

impl Drop for System {
    fn drop(&mut self) {
        // Services before their broker, so none logs a spurious "lost the broker" at the end.
        while let Some(process) = self.processes.pop() {
            drop(process);
        }
    }
}
