//! A real nats-server for tests: random port, temporary store, killed on drop. Tests never
//! mock the broker; each one gets its own server, so tests run in parallel with each other
//! and with a `make run` on the same machine.
//!
//! The server enforces the repository's own users and permissions: its configuration
//! includes a copy of `nats/auth.conf` (nats-server resolves includes relative to the
//! including file, so the copy sits beside it), and it gets every user's password in its
//! environment, exactly as `make run` starts it.

mod cluster;

pub use cluster::TestCluster;

use crate::auth;
use crate::config::BusConfig;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A client of a broker that is not there: it keeps trying to connect in the background
/// and never succeeds. Router tests build a service's state on it, to check every answer
/// that needs no broker — and that a write without one is a 503, not a hang or a panic.
pub async fn client_without_broker() -> async_nats::Client {
    // Port 1 (tcpmux) is closed on any machine these tests run on; the connect call returns
    // at once because of `retry_on_initial_connect`.
    let connecting = async_nats::ConnectOptions::new()
        .retry_on_initial_connect()
        .connect("nats://127.0.0.1:1")
        .await;
    match connecting {
        Ok(client) => client,
        Err(error) => panic!("a retrying connect returns a client at once: {error}"),
    }
}

pub struct TestNats {
    child: Option<Child>,
    port: u16,
    /// The configuration, the server's log and its store (`store/`).
    dir: tempfile::TempDir,
}

/// The nats-server binary: `$NATS_SERVER_BIN`, else the one `make` installs into
/// `.tools/nats/bin`, else whatever `nats-server` is on the PATH.
pub fn nats_server_binary() -> PathBuf {
    if let Ok(path) = std::env::var("NATS_SERVER_BIN") {
        return PathBuf::from(path);
    }
    let installed = repository().join(".tools/nats/bin/nats-server");
    if installed.exists() {
        return installed;
    }
    PathBuf::from("nats-server")
}

/// `nats/auth.conf`: the users and permissions every broker of this repository enforces.
pub fn auth_conf() -> PathBuf {
    repository().join("nats/auth.conf")
}

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Writes into `dir` a configuration for a server on `127.0.0.1:port` that includes the
/// repository's users and permissions; `jetstream` is the body of its `jetstream {}` block.
/// Returns the configuration's path. (The benchmark starts its servers with this too.)
pub fn write_config(dir: &Path, port: u16, jetstream: &str) -> std::io::Result<PathBuf> {
    // The repository's path is fixed when this crate is compiled: a build copied from
    // another checkout points at that one, so the error names the file it looked for.
    let auth = auth_conf();
    std::fs::copy(&auth, dir.join("auth.conf")).map_err(|error| {
        std::io::Error::new(error.kind(), format!("copying {}: {error}", auth.display()))
    })?;
    let config = dir.join("nats.conf");
    let text = format!(
        "listen: 127.0.0.1:{port}\nserver_name: test-{port}\n\njetstream {{\n{jetstream}}}\n\ninclude auth.conf\n"
    );
    std::fs::write(&config, text)?;
    Ok(config)
}

impl TestNats {
    /// Starts a server with JetStream on a free port, waits until it accepts connections,
    /// and provisions the streams as `admin` (as `make run` does).
    pub fn start() -> TestNats {
        let server = TestNats::start_unprovisioned();
        server.provision();
        server
    }

    /// Starts a server with no streams at all (for tests of waiting for them).
    pub fn start_unprovisioned() -> TestNats {
        let port = free_port();
        let dir = tempfile::tempdir().expect("a temporary folder for the JetStream store");
        let store = dir.path().join("store");
        write_config(dir.path(), port, &format!("  store_dir: {store:?}\n"))
            .expect("writing the test nats-server's configuration");
        let mut server = TestNats {
            child: None,
            port,
            dir,
        };
        server.spawn();
        server
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// A configuration connecting as `user` (also the connection's name) with its password.
    pub fn bus_config(&self, user: &str) -> BusConfig {
        BusConfig::single(self.url(), user)
    }

    /// Creates the streams, as `admin`, the one privileged path (`crate::provision`).
    pub fn provision(&self) {
        provision_with(self.bus_config(auth::ADMIN), Duration::from_secs(20));
    }

    /// What the server has logged so far (permission violations among it).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("nats.log")).unwrap_or_default()
    }

    /// Kills the server (SIGKILL), as a crash would. Its store is kept.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port with the same store.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    fn spawn(&mut self) {
        self.child = Some(start_server(self.dir.path(), self.port));
    }
}

/// Starts nats-server with the configuration in `dir` (`nats.conf`, logging to `nats.log`
/// beside it), with every user's password in its environment, and waits until it accepts
/// connections on `port`.
fn start_server(dir: &Path, port: u16) -> Child {
    let binary = nats_server_binary();
    let child = Command::new(&binary)
        .arg("-c")
        .arg(dir.join("nats.conf"))
        .arg("--log")
        .arg(dir.join("nats.log"))
        .envs(auth::server_environment())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {} ({e}); run `make tools` first",
                binary.display()
            )
        });
    wait_for_port(port, Duration::from_secs(15));
    child
}

impl Drop for TestNats {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Provisions the streams with `config` (the admin's), from sync code and async tests
/// alike: its own thread and runtime, since a runtime cannot block inside another.
fn provision_with(config: BusConfig, patience: Duration) {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime to provision with");
        // Everything, the partitioned work streams too: tests run moderation either way.
        let work = crate::provision::WorkStreams::Partitioned;
        runtime.block_on(crate::provision::connect_and_provision(
            &config, patience, work,
        ))
    })
    .join()
    .expect("the provisioning thread finishes")
    .expect("the test broker's streams are provisioned");
}

/// Waits until something accepts connections on `port`.
fn wait_for_port(port: u16, patience: Duration) {
    let deadline = Instant::now() + patience;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nats-server did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}
