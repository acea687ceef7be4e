//! The line under a comment whose moderation gave up: why, and whether and when it is
//! retried automatically (see [`crate::model::redrive`]).

use crate::components::clock::ticking_now;
use crate::model::redrive::{IssueText, ModerationIssue};
use leptos::prelude::*;

/// Shown only while query says the comment's moderation is dead-lettered.
#[component]
pub fn GaveUpNote(issue: Signal<Option<ModerationIssue>>) -> impl IntoView {
    view! {
        <Show when=move || issue.with(Option::is_some)>
            <GaveUpText issue />
        </Show>
    }
}

/// Mounted only while there is something to say, so the clock ticks only then.
#[component]
fn GaveUpText(issue: Signal<Option<ModerationIssue>>) -> impl IntoView {
    let now = ticking_now();
    let text = move || issue.with(|i| i.as_ref().map(|i| i.text(now.get())).unwrap_or_default());
    let letter = move || issue.with(|i| i.as_ref().map(|i| i.dead_letter.to_string()));
    view! {
        <p class="gave-up" role="status" data-dead-letter-id=letter>
            {text}
        </p>
    }
}
