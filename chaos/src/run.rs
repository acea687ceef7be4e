//! One chaos run, start to end: start the system, run the clients and the fault schedule
//! side by side with a live progress line, wait for the system to settle, read the final
//! state, check it, report.

use crate::checker::{self, Check, FinalState, View};
use crate::faults::{self, Fault, FaultKind, Target, Window};
use crate::history::{Clock, Operation, Outcome, Recorder};
use crate::inject;
use crate::observe;
use crate::progress::Progress;
use crate::report::Report;
use crate::rng::Rng;
use crate::system::{Settings, System};
use crate::workload::{self, Endpoints};
use anyhow::Context;
use harness::services::Service;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

#[derive(Clone, Debug)]
pub struct Options {
    pub seed: u64,
    pub duration: Duration,
    pub clients: usize,
    pub settings: Settings,
    /// Where run folders go; each run gets `<time>-seed-<S>` inside.
    pub runs: PathBuf,
    pub converge_deadline: Duration,
    /// Only these processes get faults (all when empty).
    pub only: Vec<String>,
    /// Only these kinds of fault.
    pub kinds: Vec<FaultKind>,
    /// Keep the run folder even when every check held.
    pub keep: bool,
}

/// What the caller needs to set the exit status.
pub struct Finished {
    pub verdict: checker::Verdict,
    pub folder: PathBuf,
}

pub async fn run(options: Options) -> anyhow::Result<Finished> {
    let folder = options.runs.join(format!(
        "{}-seed-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S"),
        options.seed
    ));
    std::fs::create_dir_all(&folder).with_context(|| format!("creating {}", folder.display()))?;
    println!(
        "chaos: seed {} (replay with SEED={}), {} s, run folder {}",
        options.seed,
        options.seed,
        options.duration.as_secs(),
        folder.display()
    );

    let system = System::start(options.settings.clone(), &folder).await?;
    let mut rng = Rng::new(options.seed);
    let schedule = plan(&mut rng, &options, &system.targets());
    println!("fault schedule ({} faults):", schedule.len());
    for fault in &schedule {
        println!("  {fault}");
    }
    write_json(&folder.join("faults.json"), &schedule)?;
    let endpoints = Endpoints {
        posts: system.service_urls(Service::Posts)?,
        comments: system.service_urls(Service::Comments)?,
    };
    let queries = named_urls(&system, Service::Query)?;
    let writers = Writers {
        posts: named_urls(&system, Service::Posts)?,
        comments: named_urls(&system, Service::Comments)?,
    };
    let bus_config = system.bus_config();
    let logs = system.logs().to_owned();

    // The workload and the faults run side by side; this task shows progress meanwhile and
    // notices processes that exit by themselves.
    let clock = Clock::start();
    let recorder = Arc::new(Recorder::create(&folder.join("history.jsonl"))?);
    let system = Arc::new(Mutex::new(system));
    let until = clock.started() + options.duration;
    let workload = tokio::spawn({
        let (recorder, mut rng) = (recorder.clone(), rng.split());
        async move { workload::run(endpoints, options.clients, &mut rng, until, recorder, clock).await }
    });
    let injector = tokio::spawn(inject::run(system.clone(), schedule.clone(), clock));
    let mut crashes = Vec::new();
    let progress = Progress::new(options.duration, &schedule);
    while !workload.is_finished() || !injector.is_finished() {
        tokio::time::sleep(Duration::from_millis(250)).await;
        crashes.extend(system.lock().await.restart_crashed());
        progress.show(&clock, &recorder);
    }
    progress.done();
    workload.await.context("the workload task failed")??;
    let injected = injector.await.context("the fault task failed")?;
    write_json(&folder.join("faults-injected.json"), &injected)?;
    let operations = recorder.finish()?;

    // From the last fault healed or the last write answered, whichever came later.
    let last_activity = injected
        .iter()
        .map(|i| i.healed_ms)
        .chain(operations.iter().map(Operation::last_answer_ms))
        .max()
        .unwrap_or_default();
    let js = observe::connect(&bus_config).await?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    println!(
        "waiting for the system to settle (deadline {} s)…",
        options.converge_deadline.as_secs()
    );
    let mut urls = queries.clone();
    let settled = settle(
        &system,
        &js,
        &http,
        &urls,
        &writers.posts,
        options.converge_deadline,
        &mut crashes,
    )
    .await;
    let converged = settled
        .map(|at| Duration::from_millis(clock_ms_at(&clock, at).saturating_sub(last_activity)));

    // A fresh query instance, replayed from the streams after the run.
    let fresh = Target::Service {
        service: Service::Query,
        instance: queries.len() as u8 + 1,
    };
    {
        let mut system = system.lock().await;
        system.add(fresh).await?;
        system.wait_ready(Duration::from_secs(120)).await?;
        urls.push((format!("{fresh} (fresh)"), system.url(fresh)?));
    }
    let mut state = observe_all(&js, &http, &urls, &writers, &operations).await?;
    state.converged = converged;
    state.crashes = crashes;
    let verdict = checker::check(&operations, &state);

    let report = Report {
        seed: options.seed,
        operations: &operations,
        faults: &injected,
        verdict: &verdict,
        converged,
        deadline: options.converge_deadline,
    };
    std::fs::write(folder.join("report.txt"), report.render(true)).context("writing report.txt")?;
    print!("{}", report.render(false));
    drop(system);
    if verdict.passed() && !options.keep {
        let _ = std::fs::remove_dir_all(&folder);
    } else {
        println!(
            "history, faults, logs and report kept in {} (logs: {})",
            folder.display(),
            logs.display()
        );
    }
    Ok(Finished { verdict, folder })
}

/// The seeded fault schedule. Faults start after a few seconds of normal work and are all
/// healed a quarter of the run (5–15 s) before its end, so the last writes meet a system that
/// is whole again.
fn plan(rng: &mut Rng, options: &Options, targets: &[Target]) -> Vec<Fault> {
    let quiet = (options.duration / 4).clamp(Duration::from_secs(5), Duration::from_secs(15));
    let targets = targets
        .iter()
        .copied()
        .filter(|t| options.only.is_empty() || options.only.contains(&t.to_string()))
        .collect();
    let window = Window {
        from: Duration::from_secs(3).min(options.duration),
        until: options.duration.saturating_sub(quiet),
        ack_wait: options.settings.ack_wait,
        targets,
        kinds: options.kinds.clone(),
    };
    faults::schedule(rng, &window)
}

/// Every instance of `service`, named as the reports name it (`query`, `query-2`, …).
fn named_urls(system: &System, service: Service) -> anyhow::Result<Vec<(String, String)>> {
    system
        .instances(service)
        .into_iter()
        .map(|target| Ok((target.to_string(), system.url(target)?)))
        .collect()
}

/// The writers' instances, each `(name, base URL)`: every one is a view the checker reads.
struct Writers {
    posts: Vec<(String, String)>,
    comments: Vec<(String, String)>,
}

fn clock_ms_at(clock: &Clock, at: Instant) -> u64 {
    at.saturating_duration_since(clock.started()).as_millis() as u64
}

/// Polls until the system has settled: every service ready, no consumer with work left, no
/// comment pending in any query instance, and the read models unchanged since the last look.
/// Returns when that first held, or `None` at the deadline. (Settled is not correct: the
/// checker judges that afterwards, so a buggy system still ends the wait.)
async fn settle(
    system: &Mutex<System>,
    js: &async_nats::jetstream::Context,
    http: &reqwest::Client,
    queries: &[(String, String)],
    posts: &[(String, String)],
    deadline: Duration,
    crashes: &mut Vec<String>,
) -> Option<Instant> {
    let give_up = Instant::now() + deadline;
    let mut previous: Option<Vec<View>> = None;
    while Instant::now() < give_up {
        crashes.extend(system.lock().await.restart_crashed());
        let ready = system
            .lock()
            .await
            .wait_ready(Duration::from_secs(1))
            .await
            .is_ok();
        let mut views = Vec::new();
        if ready {
            for (name, url) in queries {
                views.extend(observe::query_view(http, name, url).await.ok());
            }
            for (name, url) in posts {
                views.extend(observe::posts_view(http, name, url).await.ok());
            }
        }
        let idle = harness::streams::backlog(js)
            .await
            .is_ok_and(|busy| busy == 0);
        let pending = views
            .iter()
            .flat_map(|v| &v.comments)
            .any(|c| c.status == "pending");
        let complete = views.len() == queries.len() + posts.len();
        if complete && idle && !pending && previous.as_ref() == Some(&views) {
            return Some(Instant::now());
        }
        previous = complete.then_some(views);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    None
}

/// Every view, for the checker.
async fn observe_all(
    js: &async_nats::jetstream::Context,
    http: &reqwest::Client,
    queries: &[(String, String)],
    writers: &Writers,
    operations: &[Operation],
) -> anyhow::Result<FinalState> {
    let mut views = Vec::new();
    for (name, url) in &writers.posts {
        views.push(observe::posts_view(http, name, url).await?);
    }
    // Comments are asked post by post: every post a posts instance knows, and every post a
    // client got a 201 for (in case the posts service lost one).
    let mut post_ids: Vec<String> = views
        .iter()
        .flat_map(|view| &view.posts)
        .map(|p| p.id.clone())
        .collect();
    post_ids.extend(
        operations
            .iter()
            .filter_map(|op| match (op.kind, op.outcome()) {
                (crate::history::Kind::Post, Outcome::Acknowledged(id)) => Some(id),
                _ => None,
            }),
    );
    post_ids.sort();
    post_ids.dedup();
    for (name, url) in &writers.comments {
        views.push(observe::comments_view(http, name, url, &post_ids).await?);
    }
    for (name, url) in queries {
        views.push(observe::query_view(http, name, url).await?);
    }
    let streams = observe::streams(js).await?;
    Ok(FinalState {
        views,
        streams,
        ..FinalState::default()
    })
}

fn write_json<T: serde::Serialize>(path: &std::path::Path, value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value).context("serialising")?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Whether the run ended as `--expect` asked: the named check found something.
pub fn expected(verdict: &checker::Verdict, check: Check) -> bool {
    verdict.of(check) > 0
}
