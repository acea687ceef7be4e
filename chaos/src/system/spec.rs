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
    /// nats-server nodes: 1, or 3 (or 5) for a cluster whose streams keep one replica per
    /// node.
    pub nats_nodes: u8,
    /// How many instances of each service to run.
    pub instances: Instances,
    pub rust_log: String,
}

/// Instances per service. Writers and moderation share their durable consumers (competing
/// consumers); each query instance has its own consumers and a whole read model.
#[derive(Clone, Copy, Debug)]
pub struct Instances {
    pub posts: u8,
    pub comments: u8,
    pub moderation: u8,
    pub query: u8,
}

impl Instances {
    pub fn of(&self, service: Service) -> u8 {
        match service {
            Service::Posts => self.posts,
            Service::Comments => self.comments,
            Service::Moderation => self.moderation,
            Service::Query => self.query,
        }
    }

    pub fn set(&mut self, service: Service, count: u8) {
        match service {
            Service::Posts => self.posts = count,
            Service::Comments => self.comments = count,
            Service::Moderation => self.moderation = count,
            Service::Query => self.query = count,
        }
    }
}

/// The processes of a whole system, in start order: the nats-server nodes, then every
/// instance of the writers, moderation and query.
pub(super) fn whole_system(settings: &Settings) -> Vec<Target> {
    let nodes = settings.nats_nodes;
    let mut targets: Vec<Target> = (1..=nodes)
        .map(|node| Target::Nats { node, nodes })
        .collect();
    for service in Service::ALL {
        for instance in 1..=settings.instances.of(service) {
            targets.push(Target::Service { service, instance });
        }
    }
    targets
}

/// Where a cluster node finds its peers: its name and every node's route port.
pub(super) struct Routes<'a> {
    pub name: String,
    pub listen: u16,
    pub all: &'a [u16],
}

/// The repository's own nats-server configuration (`nats/nats.conf`, what `make run` uses:
/// fsync before every ack, and whatever users it defines), with its store moved into the run
/// folder. nats-server refuses `-sd` beside a `store_dir` in the file, so the line is
/// rewritten; ports are overridden by flags. A cluster node is also renamed and given its
/// `cluster` block (the same one `nats/cluster/*.conf` has, on the run's ports).
pub(super) fn write_nats_config(
    folder: &Path,
    store: &Path,
    routes: Option<Routes<'_>>,
) -> anyhow::Result<PathBuf> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../nats/nats.conf");
    let text =
        std::fs::read_to_string(&repo).with_context(|| format!("reading {}", repo.display()))?;
    let mut moved = false;
    let mut lines: Vec<String> = text
        .lines()
        .map(|line| {
            let setting = line.trim_start();
            if setting.starts_with("store_dir") {
                moved = true;
                format!("  store_dir: {store:?}")
            } else if let (Some(_), Some(routes)) = (setting.strip_prefix("server_name"), &routes) {
                format!("server_name: {}", routes.name)
            } else {
                line.to_owned()
            }
        })
        .collect();
    anyhow::ensure!(
        moved,
        "{} has no store_dir line to point at the run folder",
        repo.display()
    );
    let name = match &routes {
        Some(routes) => {
            let peers: Vec<String> = routes
                .all
                .iter()
                .map(|port| format!("nats-route://127.0.0.1:{port}"))
                .collect();
            lines.push(format!(
                "cluster {{\n  name: chaos\n  listen: 127.0.0.1:{}\n  routes: [{}]\n}}",
                routes.listen,
                peers.join(", ")
            ));
            format!("{}.conf", routes.name)
        }
        None => "nats.conf".to_owned(),
    };
    // It includes the users and permissions from beside it.
    let auth = bus::testing::auth_conf();
    std::fs::copy(&auth, folder.join("auth.conf"))
        .with_context(|| format!("copying {}", auth.display()))?;
    let config = folder.join(name);
    std::fs::write(&config, lines.join("\n") + "\n")
        .with_context(|| format!("writing {}", config.display()))?;
    Ok(config)
}

/// The command that starts `target` on `port` (a nats-server node with its own
/// `nats_config`): the one place that says how the system is started.
pub(super) fn command(
    settings: &Settings,
    nats_config: &Path,
    nats_url: &str,
    target: Target,
    port: u16,
) -> anyhow::Result<Command> {
    match target {
        Target::Nats { .. } => {
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
            let mut extra_env = vec![
                (
                    "NATS_ACK_WAIT_MS".to_owned(),
                    settings.ack_wait.as_millis().to_string(),
                ),
                ("NATS_REPLICAS".to_owned(), settings.nats_nodes.to_string()),
                // The logs are files to read, not a terminal: no colour codes.
                ("NO_COLOR".to_owned(), "1".to_owned()),
            ];
            if service == Service::Moderation {
                // Which instance this is: in partitioned mode (`MODERATION_MODE=partitioned
                // make chaos …`) it says which partitions it takes first.
                extra_env.push((
                    "MODERATION_INSTANCE".to_owned(),
                    format!("{instance}/{}", settings.instances.moderation),
                ));
            }
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
