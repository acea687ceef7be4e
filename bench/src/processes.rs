//! What `/proc` says about the processes the benchmark starts: memory and CPU time. The
//! processes themselves are `harness::process::Child` guards, shared with `make chaos`.

use anyhow::Context;
use serde::Serialize;
use std::time::Instant;

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
