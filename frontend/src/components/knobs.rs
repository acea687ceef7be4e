//! Moderation's knobs, live: the form shows the knobs in force and saves new ones with
//! `PUT /knobs`. Moderation keeps them in a NATS KV bucket that every instance watches, so
//! a saved change is in force everywhere within a second, without a restart.

use crate::api::console;
use crate::config::Config;
use contract::lab::{KnobsView, ModerationKnobs};
use leptos::prelude::*;

#[component]
pub fn KnobsPanel() -> impl IntoView {
    let config = expect_context::<Config>();
    let shown: RwSignal<Option<KnobsView>> = RwSignal::new(None);
    let problem = RwSignal::new(None::<String>);
    // The fields, as typed (text, parsed on Save).
    let delay = RwSignal::new(String::new());
    let fail_rate = RwSignal::new(String::new());
    let fail_first = RwSignal::new(String::new());
    let words = RwSignal::new(String::new());
    let concurrency = RwSignal::new(String::new());
    let manual = RwSignal::new(false);
    let fill = move |view: &KnobsView| {
        let k = &view.knobs;
        delay.set(k.delay_ms.to_string());
        fail_rate.set(k.fail_rate.to_string());
        fail_first.set(k.fail_first.to_string());
        words.set(k.reject_words.join(", "));
        concurrency.set(k.concurrency.to_string());
        manual.set(k.manual);
        shown.set(Some(view.clone()));
    };
    let load = {
        let config = config.clone();
        Action::new_local(move |_: &()| {
            let config = config.clone();
            async move {
                match console::knobs(&config).await {
                    Ok(view) => {
                        fill(&view);
                        problem.set(None);
                    }
                    Err(error) => problem.set(Some(error.to_string())),
                }
            }
        })
    };
    load.dispatch(());
    let reset = {
        let config = config.clone();
        Action::new_local(move |_: &()| {
            let config = config.clone();
            async move {
                if let Err(error) = console::reset_knobs(&config).await {
                    problem.set(Some(error.to_string()));
                    return;
                }
                // Every instance falls back within a moment; show what is in force then.
                gloo_timers::future::TimeoutFuture::new(500).await;
                match console::knobs(&config).await {
                    Ok(view) => {
                        fill(&view);
                        problem.set(None);
                    }
                    Err(error) => problem.set(Some(error.to_string())),
                }
            }
        })
    };
    let save = Action::new_local(move |knobs: &ModerationKnobs| {
        let (config, knobs) = (config.clone(), knobs.clone());
        async move {
            match console::set_knobs(&config, &knobs).await {
                Ok(view) => {
                    fill(&view);
                    problem.set(None);
                }
                Err(error) => problem.set(Some(error.to_string())),
            }
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match read_form(
            &delay.get_untracked(),
            &fail_rate.get_untracked(),
            &fail_first.get_untracked(),
            &words.get_untracked(),
            &concurrency.get_untracked(),
            manual.get_untracked(),
        ) {
            Ok(knobs) => {
                save.dispatch(knobs);
            }
            Err(error) => problem.set(Some(error)),
        }
    };
    let origin = move || {
        shown.with(|s| match s.as_ref().map(|v| v.revision) {
            None => String::new(),
            Some(None) => "In force: moderation's start-up defaults (nobody has set the knobs)."
                .to_owned(),
            Some(Some(revision)) => format!(
                "In force: revision {revision} of the KV bucket MODERATION_KNOBS, on every instance."
            ),
        })
    };
    let field =
        |id: &'static str, label: &'static str, value: RwSignal<String>, kind: &'static str| {
            view! {
                <label for=id>{label}</label>
                <input id=id type=kind step="any" prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev)) />
            }
        };
    view! {
        <form id="knobs" class="knobs" on:submit=on_submit>
            <h4>"Moderation's knobs"</h4>
            <div class="knob-fields">
                {field("knob-delay", "Delay (ms)", delay, "number")}
                {field("knob-fail-rate", "Failure rate (0–1)", fail_rate, "number")}
                {field("knob-fail-first", "Fail the first N attempts", fail_first, "number")}
                {field("knob-words", "Rejected words", words, "text")}
                {field("knob-concurrency", "Concurrency", concurrency, "number")}
                <label for="knob-manual">"A person decides"</label>
                <input id="knob-manual" type="checkbox" prop:checked=move || manual.get()
                    on:change=move |ev| manual.set(event_target_checked(&ev)) />
            </div>
            <button type="submit" id="knobs-save" class="small" disabled=move || save.pending().get()>"Save"</button>
            " "
            <button type="button" id="knobs-reset" class="small" disabled=move || reset.pending().get()
                on:click=move |_| { reset.dispatch(()); }>
                "Back to the start-up defaults"
            </button>
            <p id="knobs-origin" class="console-note">{origin}</p>
            <Show when=move || problem.with(Option::is_some)>
                <p id="knobs-problem" class="form-error" role="alert">{move || problem.get()}</p>
            </Show>
        </form>
    }
}

/// The knobs a form holds, or what is wrong with them (the same checks moderation makes).
pub fn read_form(
    delay: &str,
    fail_rate: &str,
    fail_first: &str,
    words: &str,
    concurrency: &str,
    manual: bool,
) -> Result<ModerationKnobs, String> {
    fn number<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, String> {
        text.trim()
            .parse()
            .map_err(|_| format!("{what} must be a number, not {text:?}"))
    }
    let knobs = ModerationKnobs {
        delay_ms: number("The delay", delay)?,
        fail_rate: number("The failure rate", fail_rate)?,
        fail_first: number("Fail the first N", fail_first)?,
        reject_words: words
            .split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect(),
        concurrency: number("The concurrency", concurrency)?,
        manual,
    };
    match knobs.problem() {
        Some(problem) => Err(problem),
        None => Ok(knobs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_becomes_knobs_or_says_what_is_wrong() {
        let knobs = read_form("1500", "0.5", "0", "orange, kiwi", "8", true).expect("valid");
        assert_eq!(knobs.delay_ms, 1500);
        assert_eq!(knobs.reject_words, ["orange", "kiwi"]);
        assert!(knobs.manual);
        let error = read_form("soon", "0", "0", "", "8", false)
            .err()
            .unwrap_or_default();
        assert_eq!(error, "The delay must be a number, not \"soon\"");
        let error = read_form("0", "2", "0", "", "8", false)
            .err()
            .unwrap_or_default();
        assert!(error.contains("failRate"), "{error}");
    }
}
