//! One comment's timeline, shown under the comment when expanded: each event of the chain
//! its creation started, the service that published it, when, and the time between hops,
//! plus the correlation id that ties the chain to the request that started it. Each hop
//! links to its message on the Streams page's tape.
//!
//! The data is a [`LocalResource`]: fetched from query when the panel opens, and again
//! whenever the comment's status changes while it is open (the resource reads the status,
//! so a change re-runs it) or the learner presses Refresh. `Transition` keeps the chain
//! on screen while a newer one is on its way, and `ErrorBoundary` says why there is none
//! (the [`ApiError`]'s own words).
//!
//! A fetch that comes back short of what the status implies (query reads each stream with
//! its own consumer, so it can be a hop behind) is followed by another, a little later each
//! time: see [`next_fetch_in_ms`].

use crate::api::{lab, ApiError};
use crate::config::Config;
use crate::model::tape;
use crate::model::time;
use crate::model::timeline::{next_fetch_in_ms, Hop, HopText, Timeline, TimelineRules};
use crate::model::Status;
use leptos::prelude::*;
use std::time::Duration;

/// What a fetch asked: the timeline of a comment with this status, after this many
/// presses of Refresh. A follow-up asks the same question again; a status change or a
/// Refresh is a new question, and the count of attempts starts again.
#[derive(Clone, Copy, PartialEq)]
struct Question {
    status: Status,
    refreshes: u32,
}

/// One answer, with the question it answers and which attempt at it this was (1, 2, …).
#[derive(Clone)]
struct Fetched {
    question: Question,
    attempt: u32,
    answer: Result<Timeline, ApiError>,
}

#[component]
pub fn CommentTimeline(
    /// The comment's id.
    comment_id: String,
    /// The comment's status, as the board shows it now.
    status: Signal<Status>,
    /// The panel's `id` (the toggle button's `aria-controls` points at it).
    panel_id: String,
) -> impl IntoView {
    let config = expect_context::<Config>();
    let refreshes = RwSignal::new(0u32);
    // Not a signal: counting must not itself make the resource fetch again.
    let asked = StoredValue::new(None::<(Question, u32)>);
    let timeline = {
        let comment_id = comment_id.clone();
        LocalResource::new(move || {
            // Read here, so that a change of either fetches again.
            let question = Question {
                status: status.get(),
                refreshes: refreshes.get(),
            };
            let attempt = match asked.get_value() {
                Some((previous, n)) if previous == question => n + 1,
                _ => 1,
            };
            asked.set_value(Some((question, attempt)));
            let (config, comment_id) = (config.clone(), comment_id.clone());
            async move {
                let answer = lab::timeline(&config, &comment_id).await;
                Fetched {
                    question,
                    attempt,
                    answer,
                }
            }
        })
    };

    // After each answer: if it is short of what the status implies, ask again a little
    // later. The timer belongs to this run of the effect: a newer answer, or closing the
    // panel, cancels it.
    Effect::new(move |_| {
        let follow_up = timeline.with(|fetched| {
            let fetched = fetched.as_ref()?;
            let settled = fetched
                .answer
                .as_ref()
                .is_ok_and(|t| t.is_complete_for(fetched.question.status));
            next_fetch_in_ms(fetched.attempt, settled)
        });
        if let Some(wait) = follow_up {
            let again = move || timeline.refetch();
            if let Ok(timer) = set_timeout_with_handle(again, Duration::from_millis(wait.into())) {
                on_cleanup(move || timer.clear());
            }
        }
    });

    let fetching = RwSignal::new(false);
    let chain = move || {
        Suspend::new(async move {
            timeline
                .await
                .answer
                .map(|t| view! { <TimelineChain timeline=t /> })
        })
    };
    view! {
        <div class="timeline" id=panel_id data-comment-id=comment_id aria-busy=move || fetching.get().to_string()>
            <Transition fallback=|| problem("Loading the timeline…".to_owned()) set_pending=fetching>
                <ErrorBoundary fallback=|errors| {
                    let text = move || errors.with(|e| e.iter().next().map(|(_, e)| e.to_string()).unwrap_or_default());
                    problem_line(text)
                }>
                    {chain}
                </ErrorBoundary>
            </Transition>
            <div class="timeline-foot">
                <button type="button" class="timeline-refresh" on:click=move |_| refreshes.update(|n| *n += 1)>
                    "Refresh"
                </button>
            </div>
        </div>
    }
}

/// The chain: a one-line summary, each hop, and the correlation id.
#[component]
fn TimelineChain(timeline: Timeline) -> impl IntoView {
    let summary = timeline.summary();
    let hops = timeline.events.iter().map(hop_view).collect_view();
    view! {
        <p class="timeline-summary">{summary}</p>
        <ol class="hops">{hops}</ol>
        {timeline.correlation_id.map(|id| view! {
            <p class="correlation">"Correlation id " <code>{id.to_string()}</code></p>
        })}
    }
}

fn hop_view(hop: &Hop) -> impl IntoView {
    view! {
        <li class="hop" data-type=hop.event_type.clone() data-source=hop.source.clone()>
            <span class="hop-type">{hop.event_type.clone()}</span>
            {hop.delay_text().map(|d| view! { " " <span class="hop-delay">{d}</span> })}
            <span class="hop-detail">
                "by " <span class="hop-source">{hop.source.clone()}</span> " · "
                <time datetime=hop.time.to_rfc3339()>{time::clock(&hop.time.to_rfc3339())}</time>
                {hop.stored_at.as_ref().map(|at| view! {
                    " · " <a class="hop-stored" href=tape::href(&at.stream, at.seq)>
                        {format!("{} #{}", at.stream, at.seq)}
                    </a>
                })}
            </span>
        </li>
    }
}

/// Why no chain is shown (yet): loading, or what went wrong.
fn problem(text: String) -> impl IntoView {
    problem_line(move || text.clone())
}

fn problem_line(text: impl Fn() -> String + Send + Sync + 'static) -> impl IntoView {
    view! { <p class="timeline-problem" role="status">{text}</p> }
}
