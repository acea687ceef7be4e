//! One comment's timeline, shown under the comment when expanded: each event of the chain
//! its creation started, the service that published it, when, and the time between hops,
//! plus the correlation id that ties the chain to the request that started it.
//!
//! Fetched from query when opened and again whenever the comment's status changes while it
//! is open. A fetch that comes back short of what the status implies (query reads each
//! stream with its own consumer, so it can be a hop behind) is repeated a few times, a
//! little later each time — see [`next_fetch_in_ms`].

use crate::api::lab;
use crate::config::Config;
use crate::model::time;
use crate::model::timeline::{next_fetch_in_ms, Timeline};
use crate::model::Status;
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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
    let timeline = RwSignal::new(None::<Timeline>);
    let problem = RwSignal::new(None::<String>);
    let fetching = RwSignal::new(false);

    // Each run of fetches has a number; a newer run (a status change, Refresh) or closing
    // the panel makes the older one stop at its next step, and never touch the signals of
    // a panel that is gone.
    let run = Arc::new(AtomicU64::new(0));
    let stop = Arc::clone(&run);
    on_cleanup(move || {
        stop.fetch_add(1, Ordering::SeqCst);
    });
    let start = {
        let comment_id = comment_id.clone();
        move |status: Status| {
            let this_run = run.fetch_add(1, Ordering::SeqCst) + 1;
            let run = Arc::clone(&run);
            let still_mine = move || run.load(Ordering::SeqCst) == this_run;
            let (config, comment_id) = (config.clone(), comment_id.clone());
            leptos::task::spawn_local(async move {
                let _ = fetching.try_set(true);
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    let answer = lab::timeline(&config, &comment_id).await;
                    if !still_mine() {
                        return;
                    }
                    let settled = match answer {
                        Ok(fetched) => {
                            let complete = fetched.is_complete_for(status);
                            let _ = timeline.try_set(Some(fetched));
                            let _ = problem.try_set(None);
                            complete
                        }
                        Err(failure) => {
                            let _ = problem.try_set(Some(failure.timeline_text()));
                            false
                        }
                    };
                    let Some(wait) = next_fetch_in_ms(attempt, settled) else {
                        break;
                    };
                    TimeoutFuture::new(wait).await;
                    if !still_mine() {
                        return;
                    }
                }
                let _ = fetching.try_set(false);
            });
        }
    };
    // Runs when the panel opens and again on every status change.
    let on_status = start.clone();
    Effect::new(move |_| on_status(status.get()));
    let refresh = move |_| start(status.get_untracked());

    let summary = move || timeline.with(|t| t.as_ref().map(Timeline::summary));
    let correlation = move || timeline.with(|t| t.as_ref().and_then(|t| t.correlation_id.clone()));
    view! {
        <div class="timeline" id=panel_id data-comment-id=comment_id aria-busy=move || fetching.get().to_string()>
            {move || summary().map(|s| view! { <p class="timeline-summary">{s}</p> })}
            <ol class="hops">
                {move || timeline.with(|t| {
                    t.as_ref()
                        .map(|t| t.events.iter().map(hop_view).collect_view())
                })}
            </ol>
            {move || correlation().map(|id| view! {
                <p class="correlation">"Correlation id " <code>{id}</code></p>
            })}
            <div class="timeline-foot">
                <p class="timeline-problem" role="status">
                    {move || match (problem.get(), timeline.with(Option::is_none), fetching.get()) {
                        (Some(p), _, _) => p,
                        (None, true, _) => "Loading the timeline…".to_owned(),
                        _ => String::new(),
                    }}
                </p>
                <button type="button" class="timeline-refresh" on:click=refresh>"Refresh"</button>
            </div>
        </div>
    }
}

fn hop_view(hop: &crate::model::timeline::Hop) -> impl IntoView {
    view! {
        <li class="hop" data-type=hop.event_type.clone() data-source=hop.source.clone()>
            <span class="hop-type">{hop.event_type.clone()}</span>
            {hop.delay_text().map(|d| view! { " " <span class="hop-delay">{d}</span> })}
            <span class="hop-detail">
                "by " <span class="hop-source">{hop.source.clone()}</span> " · "
                <time datetime=hop.time.clone()>{time::clock(&hop.time)}</time>
            </span>
        </li>
    }
}
