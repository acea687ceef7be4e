//! How much to measure: sizes, durations and repeats, from the environment.
//!
//! The defaults fit the whole `make bench` in about ten minutes on a 2-core machine.
//! `BENCH_QUICK=1` shrinks everything for a smoke run of a minute or two; the other
//! variables override one knob each:
//!
//! | variable | default | quick | what |
//! | --- | --- | --- | --- |
//! | `BENCH_REPEATS` | 3 | 3 | runs per figure; every figure is their median |
//! | `BENCH_SECS` | 5 | 1 | seconds each throughput run is measured (after a warm-up) |
//! | `BENCH_CLIENTS` | 64 | 64 | concurrent keep-alive clients for the write figures |
//! | `BENCH_SAMPLES` | 200 | 30 | comments per latency run (one at a time) |
//! | `BENCH_REPLAY` | `100000,1000000` | `10000,50000` | the replay sizes, in events |
//! | `BENCH_READ_POSTS` | 10000 | 1000 | posts in the read model for the read figures |
//! | `BENCH_ONLY` | all | all | a comma list of `latency,writes,replay,reads` |
//! | `BENCH_MODES` | `always,lazy,replicated` | the same | durability modes for latency and writes (`replicated`: a three-node cluster, R3 streams) |
//! | `BENCH_RUST_LOG` | `warn` | `warn` | `RUST_LOG` of the services under test |

use crate::nats::Durability;
use anyhow::{bail, Context};
use serde::Serialize;
use std::time::Duration;

#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub quick: bool,
    pub repeats: usize,
    pub clients: usize,
    #[serde(serialize_with = "as_secs")]
    pub run: Duration,
    #[serde(serialize_with = "as_secs")]
    pub warmup: Duration,
    pub latency_samples: usize,
    pub replay_sizes: Vec<u64>,
    pub read_posts: usize,
    /// Comments per post in every generated history ("posts with ~10 comments each").
    pub comments_per_post: usize,
    /// Concurrent clients for `GET /posts`: each answer is megabytes, so 64 at once would
    /// measure the allocator and the loopback, not the service.
    pub list_clients: usize,
    pub only: Vec<Figure>,
    pub modes: Vec<Durability>,
    pub service_log: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Figure {
    Latency,
    Writes,
    Replay,
    Reads,
}

impl Figure {
    const ALL: [Figure; 4] = [
        Figure::Latency,
        Figure::Writes,
        Figure::Replay,
        Figure::Reads,
    ];

    fn parse(name: &str) -> anyhow::Result<Figure> {
        Ok(match name.trim() {
            "latency" => Figure::Latency,
            "writes" => Figure::Writes,
            "replay" => Figure::Replay,
            "reads" => Figure::Reads,
            other => bail!("BENCH_ONLY: unknown figure {other:?} (latency, writes, replay, reads)"),
        })
    }
}

impl Plan {
    pub fn from_env() -> anyhow::Result<Plan> {
        let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
        let pick = |full, fast| if quick { fast } else { full };
        let secs = number("BENCH_SECS", pick(5, 1))?;
        let replay_sizes = match std::env::var("BENCH_REPLAY") {
            Ok(list) => list
                .split(',')
                .map(|n| n.trim().replace('_', "").parse::<u64>())
                .collect::<Result<Vec<_>, _>>()
                .with_context(|| format!("BENCH_REPLAY={list:?} is not a list of numbers"))?,
            Err(_) if quick => vec![10_000, 50_000],
            Err(_) => vec![100_000, 1_000_000],
        };
        let only = match std::env::var("BENCH_ONLY") {
            Ok(list) => list
                .split(',')
                .map(Figure::parse)
                .collect::<Result<Vec<_>, _>>()?,
            Err(_) => Figure::ALL.to_vec(),
        };
        let modes = match std::env::var("BENCH_MODES") {
            Ok(list) => list
                .split(',')
                .map(|mode| match mode.trim() {
                    "always" => Ok(Durability::Always),
                    "lazy" => Ok(Durability::Lazy),
                    "replicated" => Ok(Durability::Replicated),
                    other => {
                        bail!("BENCH_MODES: unknown mode {other:?} (always, lazy, replicated)")
                    }
                })
                .collect::<Result<Vec<_>, _>>()?,
            Err(_) => vec![Durability::Always, Durability::Lazy, Durability::Replicated],
        };
        let plan = Plan {
            quick,
            repeats: number("BENCH_REPEATS", 3)? as usize,
            clients: number("BENCH_CLIENTS", 64)? as usize,
            run: Duration::from_secs(secs),
            warmup: if quick {
                Duration::from_millis(300)
            } else {
                Duration::from_secs(1)
            },
            latency_samples: number("BENCH_SAMPLES", pick(200, 30))? as usize,
            replay_sizes,
            read_posts: number("BENCH_READ_POSTS", pick(10_000, 1_000))? as usize,
            comments_per_post: 10,
            list_clients: 8,
            only,
            modes,
            service_log: std::env::var("BENCH_RUST_LOG").unwrap_or_else(|_| "warn".into()),
        };
        if plan.repeats == 0 || plan.clients == 0 || plan.latency_samples == 0 {
            bail!("BENCH_REPEATS, BENCH_CLIENTS and BENCH_SAMPLES must be at least 1");
        }
        Ok(plan)
    }

    pub fn runs(&self, figure: Figure) -> bool {
        self.only.contains(&figure)
    }
}

fn number(name: &str, default: u64) -> anyhow::Result<u64> {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .with_context(|| format!("{name}={value:?} is not a number")),
        Err(_) => Ok(default),
    }
}

fn as_secs<S: serde::Serializer>(duration: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(duration.as_secs_f64())
}
