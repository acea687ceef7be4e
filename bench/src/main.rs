//! `make bench`: the system measured against the broker's own limit, side by side.
//!
//! Every figure is measured against a freshly started system (its own nats-server, the real
//! release binaries of the services, all on 127.0.0.1) and beside a baseline taken in the
//! same run: what bare async-nats does with the same nats-server. The machine is shared and
//! noisy, so an absolute number means little from one run to the next; the ratio to a
//! baseline measured seconds earlier means a lot more. Every figure is a median of repeats.
//!
//! # Layout
//!
//! - [`plan`]: how much to measure (sizes, durations, repeats), from `BENCH_*` variables.
//! - [`processes`]: child processes killed on drop (so none outlives the benchmark, even on
//!   an error or Ctrl-C), free ports, memory from `/proc`.
//! - [`nats`]: a fresh nats-server in either durability mode (fsync before ack, or lazy).
//! - [`services`]: building and starting the four service binaries, waiting for `/health`.
//! - [`system`]: nats-server plus the four services, and "wait until all work is done".
//! - [`http`]: a bare keep-alive HTTP/1.1 client and a server-sent-events reader.
//! - [`load`]: the closed-loop load generator shared by the HTTP figures and the baselines.
//! - [`history`]: realistic histories (posts, comments, decisions, updates) written straight
//!   into the streams.
//! - [`stats`]: percentiles and medians.
//! - [`figures`]: one module per figure — [`figures::latency`], [`figures::writes`],
//!   [`figures::replay`] (with the memory after the replay), [`figures::reads`].
//! - [`report`]: the table, `bench/results.md` and `bench/results.json`.

mod figures;
mod history;
mod http;
mod load;
mod nats;
mod plan;
mod processes;
mod report;
mod services;
mod stats;
mod system;

use anyhow::Context;
use nats::Durability;
use plan::{Figure, Plan};
use report::Results;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use system::System;

#[tokio::main]
async fn main() -> ExitCode {
    // Ctrl-C drops the `run` future, and with it every guard that owns a child process, so
    // nothing is left running. (A second terminal's `kill -9` of the benchmark would leave
    // them; everything it starts listens on 127.0.0.1 only and on ports chosen at random.)
    let outcome = tokio::select! {
        outcome = run() => outcome,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench failed: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let started = Instant::now();
    let plan = Plan::from_env()?;
    let cores = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1);
    println!(
        "bench: {cores} cores; {} runs per figure, {} clients, {} s per throughput run, replay of {:?} events{}",
        plan.repeats,
        plan.clients,
        plan.run.as_secs(),
        plan.replay_sizes,
        if plan.quick { " (quick)" } else { "" }
    );
    println!("building the services (release)…");
    services::build_release_binaries()?;
    let bench_folder = Path::new(env!("CARGO_MANIFEST_DIR"));
    let logs = log_folder()?;
    println!("service and broker logs: {}", logs.display());

    let mut results = Results {
        finished: String::new(),
        cores,
        cpu: cpu_model(),
        command: "make bench".into(),
        commit: commit(),
        minutes: 0.0,
        plan: plan.clone(),
        latency: Vec::new(),
        writes: Vec::new(),
        replay: Vec::new(),
        reads: None,
        at_rest: Vec::new(),
        after_replay: None,
        verdicts: Vec::new(),
    };

    if plan.runs(Figure::Latency) || plan.runs(Figure::Writes) {
        for mode in plan.modes.clone() {
            println!("\n== a fresh system, {} ==", mode.label());
            let system = System::start(mode, &plan.service_log, &logs).await?;
            // The default mode's system gives the at-rest memory: nothing has happened yet.
            if mode == Durability::Always {
                results.at_rest = system.memory()?;
            }
            // Latency first, while the system is quiet and its streams are empty.
            if plan.runs(Figure::Latency) {
                results
                    .latency
                    .push(figures::latency::measure(&system, &plan).await?);
            }
            if plan.runs(Figure::Writes) {
                results
                    .writes
                    .push(figures::writes::measure(&system, &plan).await?);
            }
        }
    }
    if plan.runs(Figure::Replay) {
        println!("\n== query replay ==");
        let (replays, after) = figures::replay::measure(&plan, &logs).await?;
        results.replay = replays;
        results.after_replay = after;
    }
    if plan.runs(Figure::Reads) {
        println!("\n== query reads ==");
        results.reads = Some(figures::reads::measure(&plan, &logs).await?);
    }

    results.minutes = started.elapsed().as_secs_f64() / 60.0;
    results.finished = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    report::publish(&mut results, bench_folder)
}

/// `target/bench-logs`, emptied: every process's log, to explain a failure.
fn log_folder() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe().context("finding the bench binary")?;
    let target = me
        .parent()
        .and_then(Path::parent)
        .context("the bench binary has no target folder")?;
    let logs = target.join("bench-logs");
    let _ = std::fs::remove_dir_all(&logs);
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    Ok(logs)
}

/// The commit being measured, so a figure can be traced to the code that produced it.
fn commit() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    match (
        git(&["rev-parse", "--short", "HEAD"]),
        git(&["status", "--porcelain", "--untracked-files=no"]),
    ) {
        (Some(hash), Some(changes)) if changes.is_empty() => hash,
        (Some(hash), Some(_)) => format!("{hash} + local changes"),
        _ => "unknown".into(),
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}
