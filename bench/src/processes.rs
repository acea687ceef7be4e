//! Child processes that never outlive the benchmark, and what `/proc` says about them.
//!
//! Every process the benchmark starts (nats-server, the four services) is a [`Child`]: it is
//! killed when the value is dropped, which happens on success, on an error (`?` unwinds the
//! stack of guards), on a panic and on Ctrl-C (main drops the whole run). SIGKILL is enough
//! here: nothing the benchmark starts holds data worth a graceful stop.

use anyhow::{bail, Context};
use serde::Serialize;
use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Child {
    name: String,
    process: std::process::Child,
    log: PathBuf,
}

impl Child {
    /// Starts `command` with stdout and stderr going to `log`.
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> anyhow::Result<Child> {
        let out = File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let err = out.try_clone().context("duplicating a log file handle")?;
        let process = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        Ok(Child {
            name: name.to_owned(),
            process,
            log: log.to_owned(),
        })
    }

    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    pub fn log(&self) -> &Path {
        &self.log
    }

    /// An error if the process has already exited (with its log's last lines).
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        match self.process.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => {
                Err(anyhow::anyhow!("{} exited ({status})", self.name).context(log_tail(&self.log)))
            }
            Err(error) => Err(error).with_context(|| format!("asking whether {} runs", self.name)),
        }
    }

    /// Its memory now, from `/proc/<pid>/status`.
    pub fn memory(&self) -> anyhow::Result<Memory> {
        Memory::of(self.pid())
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Resident memory, in MiB: now (`VmRSS`) and the peak since the process started (`VmHWM`).
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Memory {
    pub rss_mib: f64,
    pub peak_mib: f64,
}

impl Memory {
    pub fn of(pid: u32) -> anyhow::Result<Memory> {
        let path = format!("/proc/{pid}/status");
        let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        let field = |name: &str| -> anyhow::Result<f64> {
            let line = status
                .lines()
                .find(|l| l.starts_with(name))
                .with_context(|| format!("{path} has no {name}"))?;
            let kib: f64 = line
                .split_whitespace()
                .nth(1)
                .and_then(|n| n.parse().ok())
                .with_context(|| format!("cannot read {line:?}"))?;
            Ok(kib / 1024.0)
        };
        Ok(Memory {
            rss_mib: field("VmRSS:")?,
            peak_mib: field("VmHWM:")?,
        })
    }
}

/// A port nobody listens on right now. (Another program could take it before our child
/// binds it; on a quiet machine that does not happen, and the child's start would fail
/// loudly if it did.)
pub fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr().context("finding a free port")?.port())
}

/// Waits until something accepts connections on `port`, failing early if `child` dies.
pub async fn wait_for_port(child: &mut Child, port: u16, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        child.check_alive()?;
        if Instant::now() > deadline {
            bail!("nothing listens on port {port} after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The last lines of a log, to explain a failure.
pub fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(15)..].join("\n");
    format!("last lines of {}:\n{tail}", log.display())
}

/// CPU time a process has used so far (user + system), from `/proc/<pid>/stat`.
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    // The command name (field 2) may contain spaces; the fields after its ')' do not.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .with_context(|| format!("cannot read {path}"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the file, 12 and 13 after the ')'.
    let ticks = |n: usize| {
        fields
            .get(n)
            .and_then(|f| f.parse::<f64>().ok())
            .with_context(|| format!("cannot read {path}"))
    };
    // Linux reports these in USER_HZ, which is 100 on every architecture it supports.
    Ok((ticks(11)? + ticks(12)?) / 100.0)
}

/// How many cores each process kept busy while something ran: where the time went.
#[derive(Clone, Debug, Serialize)]
pub struct CpuShare {
    pub process: String,
    pub cores: f64,
}

impl CpuShare {
    /// Each process's median across runs (processes in the order of the first run).
    pub fn median_of(runs: &[Vec<CpuShare>]) -> Vec<CpuShare> {
        let Some(first) = runs.first() else {
            return Vec::new();
        };
        first
            .iter()
            .map(|share| CpuShare {
                process: share.process.clone(),
                cores: crate::stats::median(
                    runs.iter()
                        .flatten()
                        .filter(|s| s.process == share.process)
                        .map(|s| s.cores),
                ),
            })
            .collect()
    }
}

pub struct CpuMeter {
    started: Instant,
    before: Vec<(String, u32, f64)>,
}

impl CpuMeter {
    /// Starts measuring `processes` (name, pid); the benchmark itself is always included.
    pub fn start(processes: &[(String, u32)]) -> CpuMeter {
        let mut all = processes.to_vec();
        all.push(("bench (load generator)".into(), std::process::id()));
        let before = all
            .into_iter()
            .filter_map(|(name, pid)| cpu_seconds(pid).ok().map(|cpu| (name, pid, cpu)))
            .collect();
        CpuMeter {
            started: Instant::now(),
            before,
        }
    }

    pub fn stop(self) -> Vec<CpuShare> {
        let wall = self.started.elapsed().as_secs_f64().max(1e-3);
        self.before
            .into_iter()
            .filter_map(|(process, pid, before)| {
                cpu_seconds(pid).ok().map(|after| CpuShare {
                    process,
                    cores: (after - before) / wall,
                })
            })
            .collect()
    }
}
