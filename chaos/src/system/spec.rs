//! What the chaos system's processes are: how to start the system (its [`Settings`]), the
//! processes of a whole system, nats-server's configuration file, and the command line and
//! environment each process starts with. Nothing here starts anything.

use crate::faults::Target;
use anyhow::Context;
use harness::process::free_port;
use harness::services::{Launch, Service};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

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

/// The processes of a whole system, in start order: nats-server, then the writers and
/// moderation, then `query_instances` query instances.
pub(super) fn whole_system(query_instances: u8) -> Vec<Target> {
    let mut targets = vec![Target::Nats(1)];
    targets.extend(
        [Service::Posts, Service::Comments, Service::Moderation].map(|service| Target::Service {
            service,
            instance: 1,
        }),
    );
    for instance in 1..=query_instances {
        targets.push(Target::Service {
            service: Service::Query,
            instance,
        });
    }
    targets
}

/// The repository's own nats-server configuration (`nats/nats.conf`, what `make run` uses:
/// fsync before every ack, and whatever users it defines), with its store moved into the run
/// folder. nats-server refuses `-sd` beside a `store_dir` in the file, so the line is
/// rewritten; ports are overridden by flags.
pub(super) fn write_nats_config(folder: &Path, store: &Path) -> anyhow::Result<PathBuf> {
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

/// The command that starts `target` on `port`: the one place that says how the system is
/// started.
pub(super) fn command(
    settings: &Settings,
    nats_config: &Path,
    nats_url: &str,
    target: Target,
    port: u16,
) -> anyhow::Result<Command> {
    match target {
        Target::Nats(_) => {
            let mut command = Command::new(bus::testing::nats_server_binary());
            command
                .arg("-c")
                .arg(nats_config)
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
                    settings.ack_wait.as_millis().to_string(),
                ),
                // The logs are files to read, not a terminal: no colour codes.
                ("NO_COLOR".to_owned(), "1".to_owned()),
            ];
            let instance_name = format!("{}-{instance}", service.name());
            let launch = Launch {
                binaries: &settings.binaries,
                nats_url,
                rust_log: &settings.rust_log,
                instance: &instance_name,
                extra_env: &extra_env,
            };
            harness::services::command(service, port, &launch)
        }
    }
}
