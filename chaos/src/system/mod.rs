//! The system under test as child processes: nats-server and the services, each on a port
//! of 127.0.0.1 chosen once and kept across restarts (clients keep talking to the same
//! address, as they would to a real service), with a store and logs inside the run folder —
//! never `make run`'s `data/`.
//!
//! - [`spec`]: what the processes are — the settings, nats-server's configuration file, the
//!   processes of a whole system, and the command line and environment of each.
//! - here: the running system — start, restart, signal, take down, and wait until ready.
//!
//! [`spec::command`] is the one place that says how any process is started; credentials or
//! a cluster change it and nothing else. Every process is a `harness::process::Child`, killed
//! when the system is dropped, so no run leaves processes behind.

mod spec;

pub use spec::{Instances, Settings};

use crate::faults::Target;
use anyhow::{bail, Context};
use harness::process::{free_port, wait_for_port, Child, Signal};
use harness::services::Service;
use spec::{write_nats_config, Routes};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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
    /// Each nats-server node's configuration file, node 1 first.
    nats_configs: Vec<PathBuf>,
    logs: PathBuf,
}

impl System {
    /// Starts nats-server (or a cluster's nodes) and every service instance, and waits until
    /// each is ready.
    pub async fn start(settings: Settings, folder: &Path) -> anyhow::Result<System> {
        let logs = folder.join("logs");
        std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
        let nats_configs = write_nats_configs(folder, settings.nats_nodes)?;
        let mut system = System {
            settings,
            processes: Vec::new(),
            nats_configs,
            logs,
        };
        let (nodes, services): (Vec<Target>, Vec<Target>) = spec::whole_system(&system.settings)
            .into_iter()
            .partition(|t| t.is_nats());
        for node in nodes {
            system.add(node).await?;
        }
        // The services may not create streams: `admin` does, once, as `make run` does (on a
        // cluster, once the nodes have elected a meta leader; provisioning retries until then).
        bus::provision::connect_and_provision(
            &system.bus_config(),
            Duration::from_secs(60),
            bus::provision::WorkStreams::from_env(),
        )
        .await
        .map_err(anyhow::Error::msg)?;
        for service in services {
            system.add(service).await?;
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
        if target.is_nats() {
            let process = self.process_mut(target)?;
            if let Some(child) = process.child.as_mut() {
                wait_for_port(child, port, Duration::from_secs(30)).await?;
            }
        }
        Ok(())
    }

    /// (Re)starts `target` on its port, appending to its log.
    pub fn restart(&mut self, target: Target) -> anyhow::Result<()> {
        let port = self.process(target)?.port;
        let nats_url = self.nats_url();
        let node = match target {
            Target::Nats { node, .. } => usize::from(node) - 1,
            Target::Service { .. } => 0,
        };
        let nats_config = self
            .nats_configs
            .get(node)
            .with_context(|| format!("no configuration for {target}"))?;
        let command = spec::command(&self.settings, nats_config, &nats_url, target, port)?;
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

    /// The instances of `service`, in order.
    pub fn instances(&self, of: Service) -> Vec<Target> {
        self.targets()
            .into_iter()
            .filter(|t| matches!(t, Target::Service { service, .. } if *service == of))
            .collect()
    }

    /// The base URL of every instance of `service`, in order.
    pub fn service_urls(&self, service: Service) -> anyhow::Result<Vec<String>> {
        self.instances(service)
            .into_iter()
            .map(|target| self.url(target))
            .collect()
    }

    pub fn url(&self, target: Target) -> anyhow::Result<String> {
        Ok(format!("http://127.0.0.1:{}", self.process(target)?.port))
    }

    /// Every node's URL, comma separated: the services' `NATS_URL`.
    pub fn nats_url(&self) -> String {
        self.processes
            .iter()
            .filter(|p| p.target.is_nats())
            .map(|p| format!("nats://127.0.0.1:{}", p.port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// How to reach the broker as `admin` (which the checker reads the streams as), with
    /// every node's URL and one replica per node.
    pub fn bus_config(&self) -> bus::BusConfig {
        let mut config = bus::BusConfig::single(self.nats_url(), bus::auth::ADMIN);
        config.servers = self.nats_url().split(',').map(str::to_owned).collect();
        config.replicas = usize::from(self.settings.nats_nodes);
        config
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
            if target.is_nats() {
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

/// One configuration per nats-server node: `nats.conf` for a single server, `nats-<n>.conf`
/// with its cluster routes (on ports chosen now, kept across restarts) for a cluster.
fn write_nats_configs(folder: &Path, nodes: u8) -> anyhow::Result<Vec<PathBuf>> {
    if nodes <= 1 {
        return Ok(vec![write_nats_config(
            folder,
            &folder.join("nats-store"),
            None,
        )?]);
    }
    let route_ports = (0..nodes)
        .map(|_| free_port())
        .collect::<anyhow::Result<Vec<u16>>>()?;
    route_ports
        .iter()
        .enumerate()
        .map(|(index, &listen)| {
            let name = format!("nats-{}", index + 1);
            let store = folder.join("nats-store").join(&name);
            let routes = Routes {
                name,
                listen,
                all: &route_ports,
            };
            write_nats_config(folder, &store, Some(routes))
        })
        .collect()
}

impl Drop for System {
    fn drop(&mut self) {
        // Services before their broker, so none logs a spurious "lost the broker" at the end.
        while let Some(process) = self.processes.pop() {
            drop(process);
        }
    }
}
