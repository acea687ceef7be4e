//! The table: each figure beside its same-run baseline and the target, printed and
//! written to `bench/results.md`, with every number (per run too) in `bench/results.json`.
//!
//! `rows` builds the table's lines and the verdicts; `format` writes the numbers; this
//! module prints the table and writes the files.

mod format;
mod rows;

use crate::figures::latency::Latency;
use crate::figures::reads::Reads;
use crate::figures::replay::{AfterReplay, Replay};
use crate::figures::writes::Writes;
use crate::plan::Plan;
use crate::processes::CpuShare;
use crate::system::ServiceMemory;
use anyhow::Context;
use format::count;
use rows::rows;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

#[derive(Debug, Serialize)]
pub struct Results {
    pub finished: String,
    pub cores: usize,
    pub cpu: String,
    pub command: String,
    /// The commit measured, with "+ local changes" if the tree differed from it.
    pub commit: String,
    pub minutes: f64,
    pub plan: Plan,
    pub latency: Vec<Latency>,
    pub writes: Vec<Writes>,
    pub replay: Vec<Replay>,
    pub reads: Option<Reads>,
    /// Each service right after a fresh start on empty streams (fsync mode system).
    pub at_rest: Vec<ServiceMemory>,
    pub after_replay: Option<AfterReplay>,
    pub verdicts: Vec<Verdict>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    pub target: String,
    pub measured: String,
    pub met: bool,
}

/// Fills in the verdicts, prints the table, and writes both result files into `folder`.
pub fn publish(results: &mut Results, folder: &Path) -> anyhow::Result<()> {
    results.verdicts = rows(results).1;
    let markdown = markdown(results);
    println!("\n{markdown}");
    let md = folder.join("results.md");
    std::fs::write(&md, &markdown).with_context(|| format!("writing {}", md.display()))?;
    let json = folder.join("results.json");
    let text = serde_json::to_string_pretty(results).context("serializing the results")?;
    std::fs::write(&json, text + "\n").with_context(|| format!("writing {}", json.display()))?;
    println!("written: {} and {}", md.display(), json.display());
    Ok(())
}

/// The table alone.
pub fn table(results: &Results) -> String {
    let (rows, _) = rows(results);
    let mut out =
        String::from("| figure | measured | baseline (same run) | ratio | target | verdict |\n");
    out.push_str("| --- | --- | --- | --- | --- | --- |\n");
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            r.figure, r.measured, r.baseline, r.ratio, r.target, r.verdict
        );
    }
    out
}

fn markdown(results: &Results) -> String {
    let plan = &results.plan;
    let mut out = String::from("# Benchmark results\n\n");
    let _ = writeln!(
        out,
        "`{}` at commit {} on {} cores ({}), finished {} after {:.1} minutes{}.",
        results.command,
        results.commit,
        results.cores,
        results.cpu,
        results.finished,
        results.minutes,
        if plan.quick {
            " — a quick smoke run (`BENCH_QUICK=1`), not the real figures"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "Every figure is the median of {} runs; every ratio is the median of the per-run ratios to a \
         baseline measured in the same run, seconds apart. Throughput runs: {} s measured after a {:.1} s \
         warm-up. The services ran with `RUST_LOG={}`; load generator, broker and services share the cores.\n",
        plan.repeats,
        plan.run.as_secs_f64(),
        plan.warmup.as_secs_f64(),
        plan.service_log
    );
    out.push_str(&table(results));
    out.push_str(&cpu_table(results));
    out.push_str(NOTES);
    out
}

/// Where the time went: how many of the machine's cores each process kept busy during each
/// kind of run (medians across the repeats). A figure that falls short of its baseline
/// while the cores add up to the whole machine is CPU-bound, and this says on whom.
fn cpu_table(results: &Results) -> String {
    const COLUMNS: [&str; 6] = [
        "nats-server",
        "posts",
        "comments",
        "moderation",
        "query",
        "bench (load generator)",
    ];
    // Each run with how many requests (or events) it handled per second.
    let mut lines: Vec<(String, &[CpuShare], f64)> = Vec::new();
    for w in &results.writes {
        let mode = w.mode.label();
        lines.push((
            format!("raw publish+ack, {mode}"),
            &w.cpu.raw,
            w.raw.per_sec,
        ));
        lines.push((
            format!("create-post, {mode}"),
            &w.cpu.posts,
            w.posts.per_sec,
        ));
        lines.push((
            format!("create-comment, {mode}"),
            &w.cpu.comments,
            w.comments.per_sec,
        ));
    }
    for r in &results.replay {
        lines.push((
            format!("bare consumer, {} events", count(r.events as f64)),
            &r.bare_cpu,
            r.bare_events_per_sec,
        ));
        lines.push((
            format!("query replay, {} events", count(r.events as f64)),
            &r.cpu,
            r.events_per_sec,
        ));
    }
    if lines.is_empty() {
        return String::new();
    }
    let mut out =
        String::from("\n## Where the CPU went\n\nCores each process kept busy during the run (of ");
    let _ = writeln!(
        out,
        "{}; medians across the runs), and the CPU time all of them spent per request (per \
         event for a replay): the machine's cores divided by it are the most it could serve \
         with every core busy.\n",
        results.cores
    );
    let _ = writeln!(
        out,
        "| run | {} | total | CPU per request |",
        COLUMNS.join(" | ")
    );
    let _ = writeln!(
        out,
        "| --- |{} --- | ---: |",
        " ---: |".repeat(COLUMNS.len())
    );
    for (run, shares, per_sec) in lines {
        // A cluster's nodes (`nats-1` …) add up in the nats-server column.
        let cell = |name: &str| {
            let of_column = |s: &&CpuShare| {
                s.process == name || (name == "nats-server" && s.process.starts_with("nats-"))
            };
            let mut matching = shares.iter().filter(of_column).peekable();
            match matching.peek() {
                None => "—".to_owned(),
                Some(_) => format!("{:.2}", matching.map(|s| s.cores).sum::<f64>()),
            }
        };
        let total: f64 = shares.iter().map(|s| s.cores).sum();
        let cells: Vec<String> = COLUMNS.iter().map(|c| cell(c)).collect();
        let per_request = match per_sec > 0.0 {
            true => format!("{:.0} µs", total / per_sec * 1e6),
            false => "—".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {run} | {} | {total:.2} | {per_request} |",
            cells.join(" | ")
        );
    }
    out
}

const NOTES: &str = "
## How each figure is measured

- **create-post / create-comment**: 64 keep-alive HTTP/1.1 connections, each sending its next
  request when the last is answered (201 counts as success). Baseline: one async-nats client
  publishing fresh events with 64 publishes in flight, each awaiting its PubAck, to a stream
  configured like POSTS on the same nats-server. Comments are spread over 64 posts; moderation
  and the comment updates run in the background as they would in use.
- **moderation latency**: one comment at a time, from sending `POST /posts/{id}/comments` to
  the query service's live page (`GET /posts/events?limit=20`, as the web client follows it) showing the comment approved or
  rejected. Baseline: the same three hops built from bare async-nats (publish, ack awaited;
  durable pull consumer; relay acks after its own publish is acked), first publish to last
  delivery.
- **query replay**: posts of 10 comments, each comment created, moderated and updated; N counts
  the events in the streams query reads. Time from starting the query binary until `/health`
  answers 200. Baseline: one ordered consumer per stream reading the same streams to the end,
  at once, from a new connection, without decoding.
- **reads**: the query binary with the read model of 10k posts of 10 comments, then one more
  post of 100k comments (the newest, so on the first page). First the live page: 1,000
  browsers follow `GET /posts/events?limit=20` as the web client does (connect → first page
  each; query's `VmRSS` growth per browser, before any big answer has left freed memory
  behind), and 100 comments published one after another into COMMENTS on the big post, each
  timed from its publish to its `post` event at every browser (query's part of a comment
  showing on open pages, without a render). Then the web client itself in headless Chromium
  against that query (`frontend/tools/page_load.py`): navigation start to the first page of
  posts on screen (the client's `posts-shown` mark), 5 loads with a cold cache and 5 warm; not
  measured when Chromium or the built client is missing. Then `GET /posts/{id}` over the 10k
  posts from 64 clients, the full `GET /posts` (the big post in it) from 8, and the first page
  `GET /posts?limit=20` from 64.
- **memory**: `VmRSS` of each process from `/proc`; peak is `VmHWM`. At rest: right after a
  fresh start on empty streams. After the replay: all four services started together on the
  largest history (once), and query alone in each replay run (median).

Run it with `make bench`; `BENCH_QUICK=1 make bench` for a smoke run (see `bench/src/plan.rs`
for every knob).
";
