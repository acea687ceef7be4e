//! The table: each figure beside its same-run baseline and the target, printed and
//! written to `bench/results.md`, with every number (per run too) in `bench/results.json`.

use crate::figures::latency::Latency;
use crate::figures::reads::Reads;
use crate::figures::replay::{AfterReplay, Replay};
use crate::figures::writes::Writes;
use crate::load::Throughput;
use crate::plan::Plan;
use crate::processes::CpuShare;
use crate::stats::Percentiles;
use crate::system::ServiceMemory;
use anyhow::Context;
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

/// One line of the table.
struct Row {
    figure: String,
    measured: String,
    baseline: String,
    ratio: String,
    target: String,
    verdict: String,
}

impl Row {
    fn plain(figure: String, measured: String) -> Row {
        Row {
            figure,
            measured,
            baseline: "—".into(),
            ratio: "—".into(),
            target: "—".into(),
            verdict: "—".into(),
        }
    }
}

/// Checks a target, records the verdict, and says "met" or "missed" for the table.
fn judge(verdicts: &mut Vec<Verdict>, target: String, measured: String, met: bool) -> String {
    verdicts.push(Verdict {
        target,
        measured,
        met,
    });
    if met {
        "met".into()
    } else {
        "**missed**".into()
    }
}

/// Builds the table and the verdicts from whatever figures were measured.
fn rows(results: &Results) -> (Vec<Row>, Vec<Verdict>) {
    let (mut rows, mut verdicts) = (Vec::new(), Vec::new());
    for w in &results.writes {
        let mode = w.mode.label();
        let baseline = format!("raw publish+ack {}", throughput(&w.raw, "msg/s"));
        rows.push(Row {
            figure: format!("create-post, {mode}"),
            measured: throughput(&w.posts, "req/s"),
            baseline: baseline.clone(),
            ratio: format!("{:.2}", w.post_ratio),
            target: "—".into(),
            verdict: "—".into(),
        });
        let target = "≥ 0.5 × raw".to_owned();
        let verdict = judge(
            &mut verdicts,
            format!("create-comment throughput {target} ({mode})"),
            format!("{:.2} × raw", w.comment_ratio),
            w.comment_ratio >= 0.5,
        );
        rows.push(Row {
            figure: format!("create-comment, {mode}"),
            measured: throughput(&w.comments, "req/s"),
            baseline,
            ratio: format!("{:.2}", w.comment_ratio),
            target,
            verdict,
        });
    }
    for l in &results.latency {
        let mode = l.mode.label();
        let target = "p50 < 5 ms, p99 < 25 ms".to_owned();
        let verdict = judge(
            &mut verdicts,
            format!("moderation latency {target} ({mode})"),
            format!(
                "p50 {:.2} ms, p99 {:.2} ms",
                l.end_to_end.p50, l.end_to_end.p99
            ),
            l.end_to_end.p50 < 5.0 && l.end_to_end.p99 < 25.0,
        );
        let errors = if l.errors > 0 {
            format!(" · {} errors", l.errors)
        } else {
            String::new()
        };
        // The median hides a bad run; name the worst run's p99 when it tells another story.
        let worst = l
            .runs
            .iter()
            .map(|r| r.end_to_end.p99)
            .fold(f64::NAN, f64::max);
        let worst = if worst > 2.0 * l.end_to_end.p99 {
            format!(" (worst run: p99 {worst:.1} ms)")
        } else {
            String::new()
        };
        rows.push(Row {
            figure: format!("moderation latency, {mode}"),
            measured: format!("{}{worst}{errors}", percentiles(&l.end_to_end)),
            baseline: format!("3 raw hops {}", percentiles(&l.raw_hops)),
            ratio: format!("{:.1} (p50)", l.end_to_end.p50 / l.raw_hops.p50),
            target,
            verdict,
        });
    }
    for r in &results.replay {
        let size = count(r.events as f64);
        let share = judge(
            &mut verdicts,
            format!("query replay of {size} events ≥ 0.7 × bare consumer"),
            format!("{:.2} × bare", r.ratio),
            r.ratio >= 0.7,
        );
        let rate = judge(
            &mut verdicts,
            format!("query replay of {size} events ≥ 250k events/s"),
            format!("{} events/s", count(r.events_per_sec)),
            r.events_per_sec >= 250_000.0,
        );
        rows.push(Row {
            figure: format!("query replay, {size} events"),
            measured: format!(
                "{:.2} s · {} events/s · peak RSS {:.0} MB",
                r.seconds,
                count(r.events_per_sec),
                r.peak_mib * MB_PER_MIB
            ),
            baseline: format!("bare consumer {} events/s", count(r.bare_events_per_sec)),
            ratio: format!("{:.2}", r.ratio),
            target: "≥ 0.7 × bare; ≥ 250k events/s".into(),
            verdict: format!("{share}; {rate}"),
        });
    }
    if let Some(reads) = &results.reads {
        let posts = count(reads.posts as f64);
        rows.push(Row::plain(
            format!(
                "GET /posts/{{id}}, {posts} posts, {} clients",
                reads.one_post_clients
            ),
            throughput(&reads.one_post, "req/s"),
        ));
        rows.push(Row::plain(
            format!(
                "GET /posts, {posts} posts ({:.1} MB each), {} clients",
                reads.all_posts_mib * MB_PER_MIB,
                reads.all_posts_clients
            ),
            throughput(&reads.all_posts, "req/s"),
        ));
    }
    if !results.at_rest.is_empty() {
        rows.push(Row::plain(
            "RSS at rest (fresh start, empty streams)".into(),
            memory(&results.at_rest),
        ));
    }
    if let Some(after) = &results.after_replay {
        rows.push(Row::plain(
            format!(
                "RSS after the {}-event replay (all four started together, one run)",
                count(after.events as f64)
            ),
            memory(&after.services),
        ));
    }
    // The memory target, from the replay runs of the largest history (query alone, median).
    if let Some(largest) = results.replay.last() {
        let query_mb = largest.rss_mib * MB_PER_MIB;
        let verdict = judge(
            &mut verdicts,
            format!(
                "query RSS after replaying {} events < 300 MB",
                count(largest.events as f64)
            ),
            format!("{query_mb:.0} MB"),
            query_mb < 300.0,
        );
        rows.push(Row {
            figure: format!(
                "query RSS once ready after the {}-event replay",
                count(largest.events as f64)
            ),
            measured: format!(
                "{query_mb:.0} MB (peak {:.0} MB)",
                largest.peak_mib * MB_PER_MIB
            ),
            baseline: "—".into(),
            ratio: "—".into(),
            target: "< 300 MB".into(),
            verdict,
        });
    }
    (rows, verdicts)
}

const MB_PER_MIB: f64 = 1.048_576;

fn throughput(t: &Throughput, unit: &str) -> String {
    let errors = if t.errors > 0 {
        format!(" · **{} errors**", t.errors)
    } else {
        " · 0 errors".into()
    };
    format!(
        "{} {unit} · p50 {:.1} ms · p99 {:.1} ms{errors}",
        count(t.per_sec),
        t.p50_ms,
        t.p99_ms
    )
}

fn percentiles(p: &Percentiles) -> String {
    format!("p50 {:.2} / p90 {:.2} / p99 {:.2} ms", p.p50, p.p90, p.p99)
}

fn memory(services: &[ServiceMemory]) -> String {
    services
        .iter()
        .map(|s| {
            format!(
                "{} {:.1} MB",
                s.service.name(),
                s.memory.rss_mib * MB_PER_MIB
            )
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// 1234567.8 → "1,234,568".
fn count(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".into();
    }
    let digits = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (n, digit) in digits.chars().enumerate() {
        if n > 0 && (digits.len() - n) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if value < 0.0 {
        format!("-{out}")
    } else {
        out
    }
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
    let mut lines: Vec<(String, &[CpuShare])> = Vec::new();
    for w in &results.writes {
        let mode = w.mode.label();
        lines.push((format!("raw publish+ack, {mode}"), &w.cpu.raw));
        lines.push((format!("create-post, {mode}"), &w.cpu.posts));
        lines.push((format!("create-comment, {mode}"), &w.cpu.comments));
    }
    for r in &results.replay {
        lines.push((
            format!("bare consumer, {} events", count(r.events as f64)),
            &r.bare_cpu,
        ));
        lines.push((
            format!("query replay, {} events", count(r.events as f64)),
            &r.cpu,
        ));
    }
    if lines.is_empty() {
        return String::new();
    }
    let mut out =
        String::from("\n## Where the CPU went\n\nCores each process kept busy during the run (of ");
    let _ = writeln!(out, "{}; medians across the runs).\n", results.cores);
    let _ = writeln!(out, "| run | {} | total |", COLUMNS.join(" | "));
    let _ = writeln!(out, "| --- |{} --- |", " ---: |".repeat(COLUMNS.len()));
    for (run, shares) in lines {
        let cell = |name: &str| {
            shares
                .iter()
                .find(|s| s.process == name)
                .map_or("—".to_owned(), |s| format!("{:.2}", s.cores))
        };
        let total: f64 = shares.iter().map(|s| s.cores).sum();
        let cells: Vec<String> = COLUMNS.iter().map(|c| cell(c)).collect();
        let _ = writeln!(out, "| {run} | {} | {total:.2} |", cells.join(" | "));
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
  the query service's live stream (`GET /posts/events`) showing the comment approved or
  rejected. Baseline: the same three hops built from bare async-nats (publish, ack awaited;
  durable pull consumer; relay acks after its own publish is acked), first publish to last
  delivery.
- **query replay**: posts of 10 comments, each comment created, moderated and updated; N counts
  the events in the streams query reads. Time from starting the query binary until `/health`
  answers 200. Baseline: one ordered consumer per stream reading the same streams to the end,
  at once, from a new connection, without decoding.
- **reads**: the query binary with the read model of 10k posts of 10 comments; `GET /posts/{id}`
  over all posts from 64 clients, the full `GET /posts` from 8.
- **memory**: `VmRSS` of each process from `/proc`; peak is `VmHWM`. At rest: right after a
  fresh start on empty streams. After the replay: all four services started together on the
  largest history (once), and query alone in each replay run (median).

Run it with `make bench`; `BENCH_QUICK=1 make bench` for a smoke run (see `bench/src/plan.rs`
for every knob).
";
