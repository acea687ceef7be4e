//! The lab console, at the top of the System view: break the system from the page (Kill,
//! Stop and Start for every process, and one-click scenarios), and tune moderation live
//! (see [`crate::components::knobs`]).
//!
//! The buttons go through the lab controller that `make run` serves (see
//! `scripts/lablib/controller.py`); a page served some other way has none, and says why the
//! buttons are disabled. The controller's list of processes is asked for once a second
//! while the System view is on screen.

use crate::api::console::{self, LabState};
use crate::components::knobs::KnobsPanel;
use crate::components::nav::Page;
use crate::config::Config;
use leptos::prelude::*;
use std::time::Duration;

#[component]
pub fn LabConsole() -> impl IntoView {
    view! {
        <section class="console" aria-labelledby="console-heading">
            <h3 id="console-heading">"Lab console"</h3>
            <Processes />
            <KnobsPanel />
        </section>
    }
}

/// What the controller said last: its state, or why it cannot be asked.
type Seen = Option<Result<LabState, String>>;

#[component]
fn Processes() -> impl IntoView {
    let config = expect_context::<Config>();
    let page = expect_context::<RwSignal<Page>>();
    let seen: RwSignal<Seen> = RwSignal::new(None);
    let has_lab = config.lab.is_some();
    if has_lab {
        let config = config.clone();
        let refresh = move || {
            let config = config.clone();
            leptos::task::spawn_local(async move {
                let answer = console::lab_state(&config).await;
                seen.set(Some(answer.map_err(|e| e.to_string())));
            });
        };
        refresh();
        let polling = set_interval_with_handle(
            move || {
                if page.get_untracked() == Page::System {
                    refresh();
                }
            },
            Duration::from_secs(1),
        );
        if let Ok(handle) = polling {
            on_cleanup(move || handle.clear());
        }
    }
    let why_disabled = move || {
        if !has_lab {
            return Some(
                "Kill, Stop and Start need the lab controller that `make run` serves; this page \
                 was started another way, so they are off. `make kill SERVICE=…` works from a \
                 terminal."
                    .to_owned(),
            );
        }
        match seen.get() {
            Some(Err(error)) => Some(format!(
                "The lab controller does not answer, so the buttons are off ({error}) Is `make run` still running?"
            )),
            _ => None,
        }
    };
    let processes = move || match seen.get() {
        Some(Ok(state)) => state.processes,
        _ => Vec::new(),
    };
    let scenarios = move || match seen.get() {
        Some(Ok(state)) => state.scenarios,
        _ => Vec::new(),
    };
    let for_act = config.clone();
    let act = Action::new_local(move |(name, action): &(String, &'static str)| {
        let (config, name, action) = (for_act.clone(), name.clone(), *action);
        async move {
            console::act(&config, &name, action)
                .await
                .map(|()| format!("{name}: {action} done."))
                .map_err(|e| e.to_string())
        }
    });
    let scenario = Action::new_local(move |id: &String| {
        let (config, id) = (config.clone(), id.clone());
        async move {
            console::run_scenario(&config, &id)
                .await
                .map(|()| "Started.".to_owned())
                .map_err(|e| e.to_string())
        }
    });
    let busy = move || act.pending().get() || scenario.pending().get();
    let note = move || {
        let last = act.value().get().or_else(|| scenario.value().get());
        last.map(|r| r.unwrap_or_else(|e| e))
    };
    view! {
        <div class="console-processes">
            <Show when=move || why_disabled().is_some()>
                <p id="console-disabled" class="console-note">{why_disabled}</p>
            </Show>
            <ul class="process-list">
                <For each=processes key=|p| (p.name.clone(), p.running) let:process>
                    <li class="process" data-process=process.name.clone()
                        data-running=process.running.to_string() data-kind=process.kind.clone()>
                        <span class="process-name">{process.name.clone()}</span>
                        <span class="process-state">{if process.running { "running" } else { "stopped" }}</span>
                        {["kill", "stop", "start"].map(|action| {
                            let name = process.name.clone();
                            let wrong = (action == "start") == process.running;
                            let label = match action { "kill" => "Kill", "stop" => "Stop", _ => "Start" };
                            view! {
                                <button type="button" class=format!("small {action}")
                                    disabled=move || wrong || busy()
                                    on:click=move |_| { act.dispatch((name.clone(), action)); }>
                                    {label}
                                </button>
                            }
                        })}
                    </li>
                </For>
            </ul>
            <p id="console-result" class="console-note" aria-live="polite">{note}</p>
            <h4>"Scenarios"</h4>
            <ul class="scenario-list">
                <For each=scenarios key=|s| (s.id.clone(), s.running, s.said.clone()) let:s>
                    <li class="scenario" data-scenario=s.id.clone() data-running=s.running.to_string()>
                        <button type="button" class="small"
                            disabled=move || s.running || busy()
                            on:click={ let id = s.id.clone(); move |_| { scenario.dispatch(id.clone()); } }>
                            {s.title.clone()}
                        </button>
                        <span class="scenario-watch">{s.watch.clone()}</span>
                        {s.said.clone().map(|said| view! { <span class="scenario-said">{said}</span> })}
                    </li>
                </For>
            </ul>
        </div>
    }
}
