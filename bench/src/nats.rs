//! A fresh nats-server for each measurement: a free port on 127.0.0.1, a store in a
//! temporary folder (on disk, so fsync costs what it really costs), killed and wiped on drop.
//! Or, for the replicated mode, three of them joined as a cluster, as `make run CLUSTER=3`
//! runs them, with every stream on all three.
//!
//! The two single-node durability modes differ in one line of the server's configuration,
//! exactly as `nats/nats.conf` and `nats/nats-lazy.conf` do. Like them, it includes `nats/auth.conf`:
//! the services run as their own NATS users, under the same permissions as in `make run`,
//! and the streams are provisioned as `admin` before they start. The benchmark's own
//! clients (baselines, filling streams) connect as `admin`.

use anyhow::Context;
use harness::process::{free_port, log_tail, wait_for_port, Child};
use serde::Serialize;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// How the broker keeps an acknowledged write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// `sync_interval: always`: fsync before every ack (what `make run` starts).
    Always,
    /// nats-server's default: fsync every two minutes.
    Lazy,
    /// Three nodes, every stream on all three (R3), each fsyncing before it acks: what
    /// `make run CLUSTER=3` starts. A write is acknowledged once two of the three have it.
    Replicated,
}

impl Durability {
    pub fn label(self) -> &'static str {
        match self {
            Durability::Always => "fsync before ack",
            Durability::Lazy => "lazy fsync",
            Durability::Replicated => "3 nodes R3, fsync before ack",
        }
    }

    /// How many nats-server nodes the mode runs.
    pub fn nodes(self) -> usize {
        match self {
            Durability::Always | Durability::Lazy => 1,
            Durability::Replicated => 3,
        }
    }
}

/// One nats-server, or a cluster's nodes.
pub struct NatsServer {
    // Declared before `dir`, so the servers are killed before their stores are deleted.
    nodes: Vec<Child>,
    ports: Vec<u16>,
    _dir: tempfile::TempDir,
}

impl NatsServer {
    pub async fn start(mode: Durability) -> anyhow::Result<NatsServer> {
        let dir = tempfile::Builder::new()
            .prefix("bench-nats-")
            .tempdir()
            .context("a temporary folder for the JetStream store")?;
        let count = mode.nodes();
        let ports = (0..count)
            .map(|_| free_port())
            .collect::<Result<Vec<_>, _>>()?;
        let routes = (0..count)
            .map(|_| free_port())
            .collect::<Result<Vec<_>, _>>()?;
        let mut nodes = Vec::new();
        for (index, port) in ports.iter().enumerate() {
            let folder = dir.path().join(format!("nats-{}", index + 1));
            std::fs::create_dir_all(&folder).context("a folder per node")?;
            let config = bus::testing::write_config(
                &folder,
                *port,
                &jetstream_block(&folder.join("store"), mode),
            )
            .context("writing the nats-server configuration")?;
            if count > 1 {
                let cluster = cluster_block(index, &routes);
                let mut file = std::fs::OpenOptions::new().append(true).open(&config)?;
                std::io::Write::write_all(&mut file, cluster.as_bytes())?;
            }
            let binary = bus::testing::nats_server_binary();
            let mut command = Command::new(&binary);
            command
                .arg("-c")
                .arg(&config)
                .envs(bus::auth::server_environment());
            let mut child = Child::spawn("nats-server", command, &folder.join("nats.log"))
                .with_context(|| format!("starting {} (run `make tools`)", binary.display()))?;
            if let Err(error) = wait_for_port(&mut child, *port, Duration::from_secs(15)).await {
                return Err(error.context(log_tail(child.log())));
            }
            nodes.push(child);
        }
        let server = NatsServer {
            nodes,
            ports,
            _dir: dir,
        };
        // On a cluster, provisioning retries until the nodes have elected a meta leader.
        let mut admin = bus::BusConfig::single(server.url(), bus::auth::ADMIN);
        admin.servers = server.urls();
        admin.replicas = count;
        // As `make run` provisions: moderation shares one consumer, no work stream.
        let work = bus::provision::WorkStreams::None;
        bus::provision::connect_and_provision(&admin, Duration::from_secs(60), work)
            .await
            .map_err(anyhow::Error::msg)?;
        Ok(server)
    }

    /// Every node's URL.
    fn urls(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|port| format!("nats://127.0.0.1:{port}"))
            .collect()
    }

    /// Every node's URL, comma separated: the services' `NATS_URL`.
    pub fn url(&self) -> String {
        self.urls().join(",")
    }

    /// Every node's process id, node 1 first.
    pub fn pids(&self) -> Vec<u32> {
        self.nodes.iter().map(Child::pid).collect()
    }

    /// A client of our own (as `admin`), for the baselines and for filling streams.
    pub async fn connect(&self, name: &str) -> anyhow::Result<async_nats::Client> {
        let admin = bus::auth::Credentials::from_env(bus::auth::ADMIN);
        let servers = self
            .urls()
            .iter()
            .map(|url| url.parse())
            .collect::<Result<Vec<async_nats::ServerAddr>, _>>()
            .context("the servers' URLs")?;
        async_nats::ConnectOptions::with_user_and_password(admin.user, admin.password)
            .name(name)
            .connect(servers)
            .await
            .with_context(|| format!("connecting to nats-server at {}", self.url()))
    }
}

/// The body of the server's `jetstream {}` block.
fn jetstream_block(store: &Path, mode: Durability) -> String {
    let sync = match mode {
        Durability::Always | Durability::Replicated => "  sync_interval: always\n",
        Durability::Lazy => "",
    };
    format!("  store_dir: {store:?}\n{sync}")
}

/// Node `index`'s `cluster {}` block and its name, as `nats/cluster/*.conf` have them.
fn cluster_block(index: usize, routes: &[u16]) -> String {
    let peers: Vec<String> = routes
        .iter()
        .map(|port| format!("nats-route://127.0.0.1:{port}"))
        .collect();
    format!(
        "\ncluster {{\n  name: bench\n  listen: 127.0.0.1:{}\n  routes: [{}]\n}}\n",
        routes[index],
        peers.join(", ")
    )
}
