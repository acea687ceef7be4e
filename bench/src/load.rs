//! The load generator: a closed loop of N clients, each sending its next request as soon as
//! its last one is answered, for a fixed time. Used alike for HTTP requests and for raw
//! JetStream publishes, so a figure and its baseline are driven the same way.
//!
//! A warm-up comes first (connections open, caches fill, the server's first fsyncs) and is
//! not counted. Then a request counts if it *completes* inside the measured window; its
//! latency is from its send to its answer.

use crate::stats::{median, micros, Latencies};
use anyhow::Context;
use serde::Serialize;
use std::future::Future;
use std::time::{Duration, Instant};

/// One simulated client: something that can make one request and say whether it worked.
pub trait Client: Send + 'static {
    fn once(&mut self) -> impl Future<Output = bool> + Send;
}

/// What one run of the closed loop measured.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Throughput {
    /// Successful requests per second.
    pub per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub ok: u64,
    pub errors: u64,
}

impl Throughput {
    /// Each field's median across runs.
    pub fn median_of(runs: &[Throughput]) -> Throughput {
        let of = |pick: fn(&Throughput) -> f64| median(runs.iter().map(pick));
        Throughput {
            per_sec: of(|r| r.per_sec),
            p50_ms: of(|r| r.p50_ms),
            p99_ms: of(|r| r.p99_ms),
            ok: of(|r| r.ok as f64) as u64,
            errors: of(|r| r.errors as f64) as u64,
        }
    }
}

pub async fn closed_loop<C: Client>(
    clients: Vec<C>,
    warmup: Duration,
    run: Duration,
) -> anyhow::Result<Throughput> {
    let from = Instant::now() + warmup;
    let until = from + run;
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|mut client| {
            tokio::spawn(async move {
                let (mut samples, mut errors) = (Vec::new(), 0u64);
                while Instant::now() < until {
                    let sent = Instant::now();
                    let ok = client.once().await;
                    let answered = Instant::now();
                    let counted = answered >= from && answered <= until;
                    match (ok, counted) {
                        (true, true) => samples.push(micros(answered - sent)),
                        (false, true) => errors += 1,
                        _ => {}
                    }
                    if !ok {
                        // A client that fails at once (say, connection refused) must not spin.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
                (samples, errors)
            })
        })
        .collect();
    let (mut all, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (samples, failed) = task.await.context("a load-generator client crashed")?;
        all.extend(samples);
        errors += failed;
    }
    let latencies = Latencies::new(all);
    Ok(Throughput {
        per_sec: latencies.len() as f64 / run.as_secs_f64(),
        p50_ms: latencies.ms(0.50),
        p99_ms: latencies.ms(0.99),
        ok: latencies.len() as u64,
        errors,
    })
}
