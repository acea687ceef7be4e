//! `make chaos`: proof, Jepsen-style, that the system keeps its promises under faults.
//!
//! A run starts its own system (nats-server and the services, on free ports, with a store in
//! the run folder), lets several clients write posts and comments while a seeded schedule
//! kills, freezes and stops processes, records a history of every write and what came back,
//! waits for the system to settle, and checks the final state of every view against the
//! history. The exit status is 0 only when every check held.
//!
//! ```text
//! chaos [--seed N] [--duration S] [--clients N] [--cluster 1|3|5]
//!       [--instances SERVICE=N,…] [--ack-wait-ms MS] [--converge-deadline S]
//!       [--binaries DIR] [--runs DIR] [--only TARGET,…] [--kinds kill,pause,stop]
//!       [--keep] [--expect CHECK]
//! ```
//! `--cluster 3` runs the broker as three nats-server nodes with three replicas per stream,
//! and its nodes become targets too (never two at once: the cluster keeps its quorum).
//! `--instances posts=2,moderation=3` runs several instances of a service (1 each by
//! default, 2 of query); writes go to a random instance of the writer, each attempt anew.
//! `--expect CHECK` turns the run into a test of the checker: it succeeds only if CHECK
//! (`duplicated`, `one-decision`, …) found a violation — for a deliberately broken system.
//!
//! # Layout
//!
//! - [`rng`]: the small seeded random number generator behind every choice.
//! - [`faults`]: targets, fault kinds and the seeded schedule.
//! - [`system`]: the processes: start, signal, restart; its `spec` module is the one place
//!   that says what they are and how each is started.
//! - [`inject`]: carrying out the schedule against the running system.
//! - [`history`]: operations, attempts and outcomes, written as JSON lines.
//! - [`workload`]: the clients, with idempotency keys and bounded retries.
//! - [`observe`]: the final state, from every HTTP view and the streams.
//! - [`checker`]: pure — history and final state in, violations out (and its self-test).
//! - [`progress`]: the live progress line.
//! - [`report`]: the tables and the summary line.
//! - [`run`]: one run, start to end.

mod checker;
mod faults;
mod history;
mod inject;
mod observe;
mod progress;
mod report;
mod rng;
mod run;
mod system;
mod workload;

use anyhow::{bail, Context};
use checker::Check;
use faults::FaultKind;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[tokio::main]
async fn main() -> ExitCode {
    let (options, expect) = match parse(std::env::args().skip(1)) {
        Ok(parsed) => parsed,
        Err(error) => {
            eprintln!("chaos: {error:#}");
            return ExitCode::from(2);
        }
    };
    // Ctrl-C, SIGTERM or a closed terminal (SIGHUP) drop the run, and with it the system:
    // every child process is killed. (Left to the default action, a signal would end us
    // without running any destructor, and orphan the children.)
    let finished = tokio::select! {
        finished = run::run(options) => finished,
        signal = stop_signal() => Err(anyhow::anyhow!("interrupted ({signal})")),
    };
    match (finished, expect) {
        (Ok(finished), None) if finished.verdict.passed() => ExitCode::SUCCESS,
        (Ok(finished), Some(check)) if run::expected(&finished.verdict, check) => {
            println!(
                "chaos: as expected, the check `{}` found violations",
                check.name()
            );
            ExitCode::SUCCESS
        }
        (Ok(finished), Some(check)) => {
            eprintln!(
                "chaos: expected the check `{}` to find violations; it found none ({})",
                check.name(),
                finished.folder.display()
            );
            ExitCode::FAILURE
        }
        (Ok(finished), None) => {
            eprintln!("chaos: FAILED — see {}", finished.folder.display());
            ExitCode::FAILURE
        }
        (Err(error), _) => {
            eprintln!("chaos: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn parse(mut args: impl Iterator<Item = String>) -> anyhow::Result<(run::Options, Option<Check>)> {
    let binaries = harness::services::own_folder()?;
    let mut options = run::Options {
        seed: random_seed(),
        duration: Duration::from_secs(60),
        clients: 4,
        settings: system::Settings {
            binaries,
            ack_wait: Duration::from_secs(4),
            nats_nodes: 1,
            instances: system::Instances {
                posts: 1,
                comments: 1,
                moderation: 1,
                query: 2,
            },
            rust_log: "info".into(),
        },
        runs: PathBuf::from("chaos-runs"),
        converge_deadline: Duration::from_secs(60),
        only: Vec::new(),
        kinds: FaultKind::ALL.to_vec(),
        keep: false,
    };
    let mut expect = None;
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        let number = |text: String| {
            text.parse::<u64>()
                .with_context(|| format!("{flag} takes a number, not {text:?}"))
        };
        match flag.as_str() {
            "--seed" => options.seed = number(value()?)?,
            "--duration" => options.duration = Duration::from_secs(number(value()?)?),
            "--clients" => options.clients = number(value()?)?.clamp(1, 64) as usize,
            "--cluster" => {
                let nodes = number(value()?)?;
                if ![1, 3, 5].contains(&nodes) {
                    bail!("--cluster takes 1, 3 or 5 nodes (an odd number keeps a quorum), not {nodes}");
                }
                options.settings.nats_nodes = nodes as u8;
            }
            "--instances" => {
                for pair in value()?.split(',') {
                    let (name, count) = parse_instances(pair)?;
                    options.settings.instances.set(name, count);
                }
            }
            "--ack-wait-ms" => options.settings.ack_wait = Duration::from_millis(number(value()?)?),
            "--converge-deadline" => {
                options.converge_deadline = Duration::from_secs(number(value()?)?)
            }
            "--binaries" => options.settings.binaries = PathBuf::from(value()?),
            "--runs" => options.runs = PathBuf::from(value()?),
            "--only" => options.only = value()?.split(',').map(|s| s.trim().to_owned()).collect(),
            "--kinds" => {
                let names = value()?;
                options.kinds = names
                    .split(',')
                    .map(|name| {
                        FaultKind::ALL
                            .into_iter()
                            .find(|k| k.name() == name.trim())
                            .with_context(|| {
                                format!("--kinds takes kill, pause and stop, not {name:?}")
                            })
                    })
                    .collect::<anyhow::Result<_>>()?;
            }
            "--keep" => options.keep = true,
            "--expect" => {
                let name = value()?;
                let check = Check::ALL.into_iter().find(|c| c.name() == name);
                let names: Vec<&str> = Check::ALL.iter().map(|c| c.name()).collect();
                expect = Some(
                    check.with_context(|| format!("--expect takes one of {}", names.join(", ")))?,
                );
            }
            other => bail!("unknown argument {other:?} (see chaos/src/main.rs)"),
        }
    }
    // A run that is expected to fail keeps its folder either way: it is evidence.
    options.keep |= expect.is_some();
    Ok((options, expect))
}

/// One `service=N` of `--instances` (N from 1 to 5, as `make scale` allows).
fn parse_instances(pair: &str) -> anyhow::Result<(harness::services::Service, u8)> {
    let (name, count) = pair
        .split_once('=')
        .with_context(|| format!("--instances takes service=N pairs, not {pair:?}"))?;
    let service = harness::services::Service::ALL
        .into_iter()
        .find(|s| s.name() == name.trim())
        .with_context(|| {
            format!("--instances: no service {name:?} (posts, comments, moderation, query)")
        })?;
    let count = count
        .trim()
        .parse::<u8>()
        .ok()
        .filter(|n| (1..=5).contains(n))
        .with_context(|| format!("--instances: {name} takes 1 to 5 instances, not {count:?}"))?;
    Ok((service, count))
}

/// Waits for the first of SIGINT, SIGTERM and SIGHUP, and names it.
async fn stop_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut hangup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        // Without those handlers, Ctrl-C still works.
        let _ = tokio::signal::ctrl_c().await;
        return "SIGINT";
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term.recv() => "SIGTERM",
        _ = hangup.recv() => "SIGHUP",
    }
}

/// A seed from the clock, when none is given; printed at the start so the run can be
/// repeated.
fn random_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64 ^ d.as_secs());
    nanos % 1_000_000
}
