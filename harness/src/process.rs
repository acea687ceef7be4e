//! Child processes that never outlive the tool that started them.
//!
//! Every process started through [`Child`] is killed when the value is dropped, which
//! happens on success, on an error (`?` unwinds the stack of guards), on a panic and on
//! Ctrl-C (the tools' `main` drops the whole run). SIGKILL is enough there: nothing these
//! tools start holds data worth a graceful stop once the tool is done with it.

use anyhow::{bail, Context};
pub use rustix::process::Signal;
use rustix::process::{kill_process, Pid};
use std::fs::{File, OpenOptions};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub struct Child {
    name: String,
    process: std::process::Child,
    log: PathBuf,
}

impl Child {
    /// Starts `command` with stdout and stderr going to a fresh `log`.
    pub fn spawn(name: &str, command: Command, log: &Path) -> anyhow::Result<Child> {
        let out = File::create(log).with_context(|| format!("creating {}", log.display()))?;
        Child::spawn_into(name, command, log, out)
    }

    /// Starts `command` with its output appended to `log`: a restarted process keeps one
    /// log, so its whole life (and every crash) reads top to bottom.
    pub fn spawn_appending(name: &str, command: Command, log: &Path) -> anyhow::Result<Child> {
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening {}", log.display()))?;
        Child::spawn_into(name, command, log, out)
    }

    fn spawn_into(
        name: &str,
        mut command: Command,
        log: &Path,
        out: File,
    ) -> anyhow::Result<Child> {
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
        match self.exited()? {
            None => Ok(()),
            Some(status) => {
                Err(anyhow::anyhow!("{} exited ({status})", self.name).context(log_tail(&self.log)))
            }
        }
    }

    /// How the process ended, or `None` while it runs.
    pub fn exited(&mut self) -> anyhow::Result<Option<ExitStatus>> {
        self.process
            .try_wait()
            .with_context(|| format!("asking whether {} runs", self.name))
    }

    /// Sends `signal` (SIGSTOP, SIGCONT, SIGTERM, SIGKILL, …) to the process.
    pub fn signal(&self, signal: Signal) -> anyhow::Result<()> {
        let pid = i32::try_from(self.pid())
            .ok()
            .and_then(Pid::from_raw)
            .with_context(|| format!("{} has no valid process id", self.name))?;
        kill_process(pid, signal).with_context(|| format!("sending {signal:?} to {}", self.name))
    }

    /// Waits up to `timeout` for the process to exit; true if it did.
    pub async fn wait_exit(&mut self, timeout: Duration) -> anyhow::Result<bool> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.exited()?.is_some() {
                return Ok(true);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(self.exited()?.is_some())
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        // A stopped (SIGSTOP) process dies from SIGKILL too, so no SIGCONT is needed first.
        let _ = self.process.kill();
        let _ = self.process.wait();
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
