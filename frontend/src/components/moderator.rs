//! The Moderator page: with the `manual` knob on, new comments wait here for a person, who
//! approves or rejects each. The list is moderation's waiting list (`GET /waiting`, kept in
//! a NATS KV bucket, so it survives restarts), asked for once a second while the page is on
//! screen. A decision is taken once: if someone else decided first (another tab, another
//! person), moderation says so and the page shows it.

use crate::api::console;
use crate::components::nav::Page;
use crate::config::Config;
use crate::model::time;
use contract::lab::WaitingComment;
use contract::CommentStatus;
use leptos::prelude::*;
use std::time::Duration;

#[component]
pub fn ModeratorPage() -> impl IntoView {
    let config = expect_context::<Config>();
    let page = expect_context::<RwSignal<Page>>();
    let waiting: RwSignal<Option<Result<Vec<WaitingComment>, String>>> = RwSignal::new(None);
    let refresh = {
        let config = config.clone();
        move || {
            let config = config.clone();
            leptos::task::spawn_local(async move {
                let answer = console::waiting(&config).await;
                waiting.set(Some(answer.map_err(|e| e.to_string())));
            });
        }
    };
    let polling = set_interval_with_handle(
        move || {
            if page.get_untracked() == Page::Moderator {
                refresh();
            }
        },
        Duration::from_secs(1),
    );
    if let Ok(handle) = polling {
        on_cleanup(move || handle.clear());
    }
    let decide = Action::new_local(move |(id, status): &(String, CommentStatus)| {
        let (config, id, status) = (config.clone(), id.clone(), *status);
        async move {
            console::decide(&config, &id, status)
                .await
                .map_err(|e| e.to_string())
        }
    });
    let comments = move || match waiting.get() {
        Some(Ok(list)) => list,
        _ => Vec::new(),
    };
    let empty = move || match waiting.get() {
        None => Some("Loading the waiting list…".to_owned()),
        Some(Err(error)) => Some(error),
        Some(Ok(list)) if list.is_empty() => Some(
            "Nothing waits for a decision. Tick \u{201c}A person decides\u{201d} in the System \
             view's knobs, then write a comment: it waits here instead of being moderated."
                .to_owned(),
        ),
        Some(Ok(_)) => None,
    };
    let problem = move || decide.value().get().and_then(Result::err);
    view! {
        <section class="moderator" aria-labelledby="moderator-heading">
            <h2 id="moderator-heading" tabindex="-1">"Moderator"</h2>
            <p class="lede">
                "Comments waiting for a person. Moderation acked their messages long ago: the \
                 waiting list lives in the NATS KV bucket MODERATION_WAITING, so a restart loses \
                 nothing, and each decision is taken once, however many moderation instances run."
            </p>
            <Show when=move || problem().is_some()>
                <p id="moderator-problem" class="form-error" role="alert">{problem}</p>
            </Show>
            <Show when=move || empty().is_some()>
                <p id="moderator-empty" class="empty">{empty}</p>
            </Show>
            <ul class="waiting-list">
                <For each=comments key=|c| (c.id, c.decided) let:comment>
                    <WaitingItem comment decide />
                </For>
            </ul>
        </section>
    }
}

#[component]
fn WaitingItem(
    comment: WaitingComment,
    decide: Action<(String, CommentStatus), Result<(), String>>,
) -> impl IntoView {
    let id = comment.id.to_string();
    let since = time::date_and_clock(&comment.since.to_rfc3339());
    let decided = comment.decided.is_some();
    let button = move |status: CommentStatus, label: &'static str, class: &'static str| {
        let id = id.clone();
        view! {
            <button type="button" class=format!("small {class}")
                disabled=move || decided || decide.pending().get()
                on:click=move |_| { decide.dispatch((id.clone(), status)); }>
                {label}
            </button>
        }
    };
    view! {
        <li class="waiting" data-comment-id=comment.id.to_string()>
            <p class="waiting-text">{comment.content.clone()}</p>
            <p class="waiting-meta">{format!("written {since}")}</p>
            {button(CommentStatus::Approved, "Approve", "approve")}
            {button(CommentStatus::Rejected, "Reject", "reject")}
        </li>
    }
}
