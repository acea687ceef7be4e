//! One labelled text input with a submit button: the shape of both the new-post form and
//! every add-comment form.
//!
//! What it promises the user: the text stays in the box until the write succeeded; a
//! failure is said in words next to the box (and announced to screen readers); a second
//! submit while one is in flight is ignored rather than sent twice; and submitting the same
//! text again after a failure sends the same idempotency key, so it can never write twice
//! (see [`crate::model::submit_key`]).

use crate::api::{fresh_key, ApiError};
use crate::model::submit_key::SubmitKeys;
use leptos::prelude::*;
use std::future::Future;

#[component]
pub fn TextForm<F, Fut>(
    /// The input's `id`, unique on the page (the label and the error message point at it).
    input_id: String,
    /// The visible label.
    label: &'static str,
    /// The button's text.
    button: &'static str,
    /// Shown when the box is submitted empty.
    empty_message: &'static str,
    /// Performs the write with the trimmed text and the submit's idempotency key; an
    /// `Err` is shown under the box in its own words (see [`ApiError`]).
    submit: F,
) -> impl IntoView
where
    F: Fn(String, String) -> Fut + 'static,
    Fut: Future<Output = Result<(), ApiError>> + 'static,
{
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let keys = StoredValue::new(SubmitKeys::default());

    // An `Action` gives "is a write in flight" for free; `new_local` because browser
    // futures are not `Send`.
    let write = Action::new_local(move |(sent, key): &(String, String)| {
        let sent = sent.clone();
        let done = submit(sent.clone(), key.clone());
        async move {
            match done.await {
                Ok(()) => {
                    keys.update_value(|k| k.succeeded(&sent));
                    error.set(None);
                    // Clear only what was sent: the user may have typed on meanwhile.
                    if text.get_untracked().trim() == sent {
                        text.set(String::new());
                    }
                }
                Err(failure) => error.set(Some(failure.to_string())),
            }
        }
    });
    let busy = write.pending();

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let value = text.get_untracked().trim().to_owned();
        if value.is_empty() {
            error.set(Some(empty_message.to_owned()));
            return;
        }
        let key = keys
            .try_update_value(|k| k.key_for(&value, fresh_key))
            .unwrap_or_else(fresh_key);
        write.dispatch_local((value, key));
    };

    let error_id = format!("{input_id}-error");
    let described_by = error_id.clone();
    view! {
        <form class="text-form" on:submit=on_submit novalidate>
            <label for=input_id.clone()>{label}</label>
            <div class="text-form-row">
                <input
                    id=input_id
                    type="text"
                    autocomplete="off"
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                    aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
                    aria-describedby=move || error.with(Option::is_some).then(|| described_by.clone())
                />
                <button type="submit" aria-disabled=move || busy.get().to_string()>
                    {move || if busy.get() { "Sending…" } else { button }}
                </button>
            </div>
            <p class="form-error" id=error_id role="alert" hidden=move || error.with(Option::is_none)>
                {move || error.get().unwrap_or_default()}
            </p>
        </form>
    }
}
