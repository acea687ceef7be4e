//! The System view's dead letters: the messages a consumer gave up on, newest first, each
//! with a Retry button that puts the original message back into its stream.
//!
//! Retry once the cause is gone (the service fixed, the knob turned off): the consumer
//! then handles the copy like any new message. Query records the retry in the
//! DEADLETTERS stream, so the letter shows as retried everywhere, and its button stays
//! disabled, also after a reload. *Retry all* does that for every letter not retried yet.
//!
//! Query also retries letters by itself, a bounded number of times with a growing delay;
//! each letter says where it stands (the next automatic retry, counted down, or that it
//! gave up for good and a person must look).
//!
//! Both buttons are `Action`s: they give "in flight" (`pending`) and the last answer
//! (`value`) for free. Nothing is refetched after one: query's `/system/events` sends the
//! letter as retried a moment later, and that live view is what the list reads.

use crate::api::lab::{self, Retried, RetryAllText};
use crate::components::clock::ticking_now;
use crate::config::Config;
use crate::context::SystemFeed;
use crate::model::redrive::RedriveText;
use crate::model::system::DeadLetterText;
use crate::model::time;
use leptos::prelude::*;

#[component]
pub fn DeadLetterList() -> impl IntoView {
    let feed = expect_context::<SystemFeed>();
    let ids = Memo::new(move |_| {
        feed.view.with(|v| {
            v.as_ref()
                .map(|v| {
                    v.dead_letters
                        .iter()
                        .map(|d| d.letter.id)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });
    view! {
        <section aria-labelledby="dead-letters-heading">
            <div class="dead-letters-head">
                <h3 id="dead-letters-heading">"Dead letters"</h3>
                <RetryAll />
            </div>
            <Show
                when=move || ids.with(|ids| !ids.is_empty())
                fallback=|| view! {
                    <p id="dead-letters-empty" class="empty">
                        "No dead letters: no consumer has given up on a message."
                    </p>
                }
            >
                <ul class="dead-letters">
                    // Keyed by id alone, so a letter's Retry state (in flight, an error)
                    // survives the view's updates; the item reads its letter by id.
                    <For each=move || ids.get() key=|id| *id let:id>
                        <DeadLetterItem id />
                    </For>
                </ul>
            </Show>
        </section>
    }
}

/// Retries every dead letter not retried yet, with one request.
#[component]
fn RetryAll() -> impl IntoView {
    let feed = expect_context::<SystemFeed>();
    let config = expect_context::<Config>();
    let waiting = Memo::new(move |_| {
        feed.view.with(|v| {
            v.as_ref().map_or(0, |v| {
                v.dead_letters.iter().filter(|d| !d.letter.retried).count()
            })
        })
    });
    let retry = Action::new_local(move |_: &()| {
        let config = config.clone();
        async move { lab::retry_all(&config).await }
    });
    let busy = retry.pending();
    let note = move || match retry.value().get() {
        Some(Ok(all)) => all.text(),
        Some(Err(failure)) => failure.to_string(),
        None => String::new(),
    };
    let on_click = move |_| {
        if !busy.get_untracked() && waiting.get_untracked() > 0 {
            retry.dispatch_local(());
        }
    };
    view! {
        <div class="retry-all">
            <button
                type="button"
                id="retry-all"
                class="retry"
                on:click=on_click
                disabled=move || waiting.get() == 0
                aria-disabled=move || busy.get().to_string()
            >
                {move || if busy.get() { "Retrying all…".to_owned() } else { format!("Retry all ({})", waiting.get()) }}
            </button>
            <span id="retry-all-note" class="retry-note" role="status">{note}</span>
        </div>
    }
}

#[component]
fn DeadLetterItem(id: u64) -> impl IntoView {
    let feed = expect_context::<SystemFeed>();
    let config = expect_context::<Config>();
    let letter = Memo::new(move |_| {
        feed.view.with(|v| {
            v.as_ref()
                .and_then(|v| v.dead_letters.iter().find(|d| d.letter.id == id).cloned())
        })
    });
    let field = move |f: fn(&crate::model::system::DeadLetter) -> String| {
        move || letter.with(|l| l.as_ref().map(f).unwrap_or_default())
    };

    let retry = Action::new_local(move |_: &()| {
        let config = config.clone();
        async move { lab::retry_dead_letter(&config, id).await }
    });
    let busy = retry.pending();
    let outcome = retry.value();
    let retried = move || letter.with(|l| l.as_ref().is_some_and(|l| l.letter.retried));
    // Done as far as this page knows: query recorded the retry, or just said it did it.
    let done = move || retried() || outcome.with(|o| matches!(o, Some(Ok(_))));
    let note = move || match outcome.get() {
        Some(Ok(Retried {
            stream,
            republished_sequence,
            ..
        })) if !retried() => Some(format!(
            "Put back into {stream} as message #{republished_sequence}."
        )),
        _ => None,
    };
    let error = move || match outcome.get() {
        Some(Err(failure)) => Some(failure.to_string()),
        _ => None,
    };
    let on_click = move |_| {
        if !busy.get_untracked() && !done() {
            retry.dispatch_local(());
        }
    };
    let now = ticking_now();
    let redrive = move || {
        letter.with(|l| {
            l.as_ref()
                .map(|l| &l.redrive)
                .map(|r| r.system_text(now.get()))
        })
    };
    let error_id = format!("dead-letter-{id}-error");
    let described_by = error_id.clone();

    view! {
        <li class="dead-letter" data-dead-letter-id=id.to_string() data-retried=move || retried().to_string()>
            <div class="dead-letter-head">
                <strong class="dead-letter-cause">{field(|l| l.cause_text())}</strong>
                <time datetime=field(|l| l.letter.time.to_rfc3339())>{field(|l| time::date_and_clock(&l.letter.time.to_rfc3339()))}</time>
            </div>
            <p class="dead-letter-where">
                {field(|l| match &l.letter.subject {
                    Some(subject) => format!("{} / {} · message #{} · {subject}", l.letter.stream, l.letter.consumer, l.letter.stream_sequence),
                    None => format!("{} / {} · message #{}", l.letter.stream, l.letter.consumer, l.letter.stream_sequence),
                })}
            </p>
            <p class="dead-letter-error">
                {field(|l| match &l.letter.error {
                    Some(e) => format!("Error: {e}"),
                    // Only when the consumer could not leave its note (e.g. it crashed).
                    None => "No error text recorded: each failed attempt's error is in its service's log.".to_owned(),
                })}
            </p>
            <p class="dead-letter-redrive" hidden=move || redrive().is_none()>
                {move || redrive().unwrap_or_default()}
            </p>
            <div class="dead-letter-actions">
                <button
                    type="button"
                    class="retry"
                    on:click=on_click
                    disabled=done
                    aria-disabled=move || busy.get().to_string()
                    aria-describedby=move || error().is_some().then(|| described_by.clone())
                >
                    {move || if done() { "Retried" } else if busy.get() { "Retrying…" } else { "Retry" }}
                </button>
                <span class="retry-note" role="status">{note}</span>
            </div>
            <p class="retry-error" id=error_id role="alert" hidden=move || error().is_none()>
                {move || error().unwrap_or_default()}
            </p>
        </li>
    }
}
