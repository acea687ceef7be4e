//! A real three-node JetStream cluster for tests: three nats-servers on free ports, each with
//! its own store, joined by routes, enforcing the repository's users like every test broker.
//! A node can be killed (SIGKILL) and started again with its store, to watch the cluster
//! elect new leaders and the node catch up.

use super::free_port;
use crate::auth;
use crate::config::BusConfig;
use std::path::PathBuf;
use std::process::Child;
use std::time::Duration;

/// One node: its ports, its folder (configuration, log, store) and its process, if running.
struct Node {
    name: String,
    client_port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

pub struct TestCluster {
    nodes: Vec<Node>,
    /// Holds every node's folder; removed on drop.
    _dir: tempfile::TempDir,
}

impl TestCluster {
    /// Starts `size` nodes (3 for a cluster that survives the loss of one), waits until
    /// each accepts connections, and provisions the streams with `size` replicas.
    pub fn start(size: usize) -> TestCluster {
        let dir = tempfile::tempdir().expect("a temporary folder for the cluster");
        let route_ports: Vec<u16> = (0..size).map(|_| free_port()).collect();
        let routes = route_ports
            .iter()
            .map(|port| format!("nats-route://127.0.0.1:{port}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut nodes = Vec::new();
        for (index, route_port) in route_ports.iter().enumerate() {
            let name = format!("nats-{}", index + 1);
            let node_dir = dir.path().join(&name);
            std::fs::create_dir_all(&node_dir).expect("a folder per node");
            let client_port = free_port();
            let store = node_dir.join("store");
            let jetstream = format!("  store_dir: {store:?}\n");
            let config = super::write_config(&node_dir, client_port, &jetstream)
                .expect("writing a node's configuration");
            let cluster = format!(
                "\nserver_name: {name}\ncluster {{\n  name: blog-test\n  listen: 127.0.0.1:{route_port}\n  routes: [{routes}]\n}}\n"
            );
            let mut text = std::fs::read_to_string(&config).expect("the node's configuration");
            // The single-server configuration names the server after its port; a cluster
            // node is named `nats-<n>`. A "cluster" of one is a plain single server (a
            // cluster block would have it wait for peers that never come).
            text = text.replace(&format!("server_name: test-{client_port}\n"), "");
            if size > 1 {
                text.push_str(&cluster);
            } else {
                text.push_str(&format!("\nserver_name: {name}\n"));
            }
            std::fs::write(&config, text).expect("writing a node's configuration");
            nodes.push(Node {
                name,
                client_port,
                dir: node_dir,
                child: None,
            });
        }
        let mut cluster = TestCluster { nodes, _dir: dir };
        for index in 0..size {
            cluster.start_node(index);
        }
        cluster.provision();
        cluster
    }

    /// Every node's URL, comma separated: what `NATS_URL` holds for a cluster.
    pub fn urls(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|node| format!("nats://127.0.0.1:{}", node.client_port))
            .collect()
    }

    /// A configuration with every node's URL, one replica per node, connecting as `user`.
    pub fn bus_config(&self, user: &str) -> BusConfig {
        let mut config = BusConfig::single(self.urls().join(","), user);
        config.servers = self.urls();
        config.replicas = self.nodes.len();
        config
    }

    /// The node's name (`nats-1` …) as the server reports it.
    pub fn name(&self, index: usize) -> &str {
        &self.nodes[index].name
    }

    pub fn client_port(&self, index: usize) -> u16 {
        self.nodes[index].client_port
    }

    /// Kills node `index` (SIGKILL, as a crash); its store is kept.
    pub fn kill_node(&mut self, index: usize) {
        if let Some(mut child) = self.nodes[index].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts node `index` (again) with its store, and waits until it accepts connections.
    pub fn start_node(&mut self, index: usize) {
        let node = &mut self.nodes[index];
        node.child = Some(super::start_server(&node.dir, node.client_port));
    }

    /// What node `index` has logged so far.
    pub fn log(&self, index: usize) -> String {
        std::fs::read_to_string(self.nodes[index].dir.join("nats.log")).unwrap_or_default()
    }

    /// Creates the streams, as `admin`, with one replica per node; waits for the cluster to
    /// elect its meta leader first (the provisioning retries until it can).
    pub fn provision(&self) {
        super::provision_with(self.bus_config(auth::ADMIN), Duration::from_secs(60));
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        for index in 0..self.nodes.len() {
            self.kill_node(index);
        }
    }
}
