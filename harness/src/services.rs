//! The four services as real processes: their names, where their binaries are, and the one
//! function that says how one is started (command line and environment). Whatever starts a
//! service from outside goes through [`command`], so a new setting (credentials, a cluster's
//! server list) is added in one place.

use anyhow::{bail, Context};
use bus::ServiceName;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;

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

    /// Which service of the contract this is: its name is spelled there, once.
    pub fn contract(self) -> ServiceName {
        match self {
            Service::Posts => ServiceName::Posts,
            Service::Comments => ServiceName::Comments,
            Service::Moderation => ServiceName::Moderation,
            Service::Query => ServiceName::Query,
        }
    }

    /// Its name (and its binary's name): `bus::ServiceName`'s.
    pub fn name(self) -> &'static str {
        self.contract().name()
    }
}

/// How to start one service: which broker, which log level, which instance.
#[derive(Clone, Debug)]
pub struct Launch<'a> {
    /// The folder holding the service binaries (`target/release` or `target/debug`).
    pub binaries: &'a Path,
    pub nats_url: &'a str,
    pub rust_log: &'a str,
    /// Names query's durable consumers; every query instance needs its own.
    pub instance: &'a str,
    /// Anything else the caller wants the service to see (e.g. `NATS_ACK_WAIT_MS`).
    pub extra_env: &'a [(String, String)],
}

/// The command that starts `service` on 127.0.0.1:`port`. The child inherits the caller's
/// environment, so a test-only setting such as `MODERATION_TEST_FAULT` set for the tool
/// reaches the services too; the variables below override anything inherited.
pub fn command(service: Service, port: u16, launch: &Launch<'_>) -> anyhow::Result<Command> {
    let mut command = Command::new(binary(launch.binaries, service)?);
    command
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("NATS_URL", launch.nats_url)
        .env("RUST_LOG", launch.rust_log)
        .env("QUERY_INSTANCE", launch.instance);
    for (name, value) in launch.extra_env {
        command.env(name, value);
    }
    Ok(command)
}

/// `folder/<service>`, or an error saying how to build it.
pub fn binary(folder: &Path, service: Service) -> anyhow::Result<PathBuf> {
    let path = folder.join(service.name());
    if !path.exists() {
        bail!(
            "{} is missing; build it with `cargo build -p {}`",
            path.display(),
            service.name()
        );
    }
    Ok(path)
}

/// The folder the running tool's own binary is in: cargo puts the service binaries of the
/// same profile beside it.
pub fn own_folder() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe().context("finding the running binary")?;
    Ok(me
        .parent()
        .context("the running binary has no folder")?
        .to_owned())
}
