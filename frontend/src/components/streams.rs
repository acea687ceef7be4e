//! The Streams page (`#streams/COMMENTS`, or `#streams/COMMENTS/17` for one message): a
//! stream's messages as a tape, oldest at the top, each opening to its whole CloudEvent,
//! with every durable consumer's cursor drawn after the last message it acknowledged. The
//! rows after a cursor are what "pending" counts in the System view, made visible.
//!
//! The tape comes from query a page at a time ([`crate::api::lab::tape`]); the cursors and
//! the stream's end come from the live system view, once a second. While the tape shows the
//! end, it follows it: new messages are fetched as the end moves (the oldest rows go past
//! [`KEEP_FOLLOWING`](crate::model::tape::KEEP_FOLLOWING)), and Older brings back earlier
//! pages.

use crate::api::lab;
use crate::components::nav::Page;
use crate::config::Config;
use crate::context::SystemFeed;
use crate::model::system::Consumer;
use crate::model::tape::{self, window, Cursor, Placed, Tape, TapeMessage};
use crate::model::time;
use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Shown before the system view has named the streams.
const STREAMS_KNOWN: [&str; 4] = ["POSTS", "COMMENTS", "MODERATION", "DEADLETTERS"];
const FIRST_SHOWN: &str = "COMMENTS";

#[component]
pub fn StreamsPage() -> impl IntoView {
    let config = expect_context::<Config>();
    let page = expect_context::<RwSignal<Page>>();
    let feed = expect_context::<SystemFeed>();
    let hash = url_fragment();
    let target = Memo::new(move |_| tape::target(&hash.get()));
    let chosen = Memo::new(move |_| {
        target.with(|(stream, _)| stream.clone().unwrap_or_else(|| FIRST_SHOWN.to_owned()))
    });
    let names = Memo::new(move |_| {
        feed.view.with(|v| match v {
            Some(v) if !v.streams.is_empty() => v.streams.iter().map(|s| s.name.clone()).collect(),
            _ => STREAMS_KNOWN.map(str::to_owned).to_vec(),
        })
    });
    let stream_now = move || {
        feed.view.with(|v| {
            let stream = v.as_ref()?.streams.iter().find(|s| s.name == chosen.get());
            stream.cloned()
        })
    };
    let consumers = Memo::new(move |_| stream_now().map(|s| s.consumers).unwrap_or_default());
    let end_now = Memo::new(move |_| stream_now().map_or(0, |s| s.last_seq));

    let tape = RwSignal::new(Tape::default());
    let problem = RwSignal::new(None::<String>);
    let loading = RwSignal::new(false);
    // Fetches one window of `stream`: a fresh tape, or more of the one shown.
    let load = move |stream: String, window: String, fresh: bool| {
        let config = config.clone();
        loading.set(true);
        leptos::task::spawn_local(async move {
            let answer = lab::tape(&config, &stream, &window).await;
            // A late answer about a stream no longer chosen is dropped.
            let still_chosen = chosen.get_untracked() == stream;
            match answer {
                Ok(page) if still_chosen => tape.update(|t| {
                    if fresh || t.stream != page.stream {
                        *t = Tape::new(&stream);
                    }
                    let following = t.at_end();
                    t.merge(page);
                    if following && !fresh {
                        t.trim();
                    }
                    problem.set(None);
                }),
                Err(error) if still_chosen => problem.set(Some(error.to_string())),
                _ => {}
            }
            loading.set(false);
        });
    };

    // A stream (or a message) chosen while the page is shown: a fresh tape.
    let load_fresh = load.clone();
    Effect::new(move |_| {
        if page.get() != Page::Streams {
            return;
        }
        let (stream, seq) = (chosen.get(), target.get().1);
        problem.set(None);
        load_fresh(
            stream,
            seq.map_or_else(window::newest, window::around),
            true,
        );
    });
    // The end moved while the tape shows it (or a fetch ended, and it moved meanwhile):
    // fetch what is new, a page at a time.
    let load_more = load.clone();
    Effect::new(move |_| {
        let end = end_now.get();
        if page.get_untracked() != Page::Streams || loading.get() {
            return;
        }
        let stream = chosen.get_untracked();
        let next = tape.with_untracked(|t| (t.stream == stream).then(|| t.to_follow(end)));
        if let Some(Some(window)) = next {
            load_more(stream, window, false);
        }
    });
    // A message named in the URL is opened, scrolled to and focused once it is shown (once:
    // not again each time the tape grows).
    let focused = StoredValue::new(None::<(String, u64)>);
    Effect::new(move |_| {
        let Some(seq) = target.get().1 else { return };
        let wanted = Some((chosen.get(), seq));
        let shown = tape.with(|t| t.stream == chosen.get() && t.rows.iter().any(|m| m.seq == seq));
        if shown && focused.get_value() != wanted {
            focused.set_value(wanted);
            request_animation_frame(move || focus_row(seq));
        }
    });

    let placed = Memo::new(move |_| tape.with(|t| tape::place_cursors(&t.rows, &consumers.get())));
    let older = {
        let load = load.clone();
        move |_| {
            if let Some(oldest) = tape.with_untracked(Tape::oldest) {
                load(chosen.get_untracked(), window::before(oldest), false);
            }
        }
    };
    let to_end = move |_| load(chosen.get_untracked(), window::newest(), true);
    let ends = move || {
        tape.with(|t| match (t.oldest(), t.newest()) {
            (Some(a), Some(b)) => format!(
                "{} holds #{}–#{}; shown: #{a}–#{b}",
                t.stream, t.first_seq, t.last_seq
            ),
            _ if loading.get() => "Loading…".to_owned(),
            _ => format!("{} holds no message yet.", chosen.get()),
        })
    };
    let opened = Signal::derive(move || target.get().1);
    let rows = move || {
        tape.with(|t| {
            let rows = t.rows.iter().map(|m| (t.stream.clone(), m.clone()));
            rows.collect::<Vec<_>>()
        })
    };
    view! {
        <section class="streams" aria-labelledby="streams-page-heading">
            <h2 id="streams-page-heading" tabindex="-1">"Streams"</h2>
            <p class="lede">
                "Every message a stream holds, oldest at the top (open one to read its whole \
                 CloudEvent). Each consumer's cursor is drawn after the last message it \
                 acknowledged: the messages below it are what the System view counts as its \
                 pending ones."
            </p>
            <nav class="stream-tabs" aria-label="Stream">
                <For each=move || names.get() key=|name| name.clone() let:name>
                    <StreamTab name chosen />
                </For>
            </nav>
            <p class="tape-ends" aria-live="polite">{ends}</p>
            <Show when=move || problem.get().is_some()>
                <p class="form-error" role="alert">{move || problem.get()}</p>
            </Show>
            <button type="button" class="small" on:click=older
                hidden=move || !tape.with(Tape::has_older)>"Older"</button>
            <CursorList cursors=Signal::derive(move || placed.with(|p| p.above.clone())) />
            <ol class="tape" aria-label="Messages">
                // Keyed by stream and sequence: COMMENTS #5 and MODERATION #5 are two rows.
                <For each=rows key=|(stream, m)| (stream.clone(), m.seq) let:((_, message))>
                    <TapeRow message consumers placed open=opened />
                </For>
            </ol>
            <button type="button" class="small" on:click=to_end
                hidden=move || tape.with(Tape::at_end)>"Newest"</button>
        </section>
    }
}

/// The link to one stream's tape, marked when it is the one shown.
#[component]
fn StreamTab(name: String, chosen: Memo<String>) -> impl IntoView {
    let href = format!("#streams/{name}");
    let current = {
        let name = name.clone();
        move || (chosen.get() == name).then_some("page")
    };
    view! { <a class="stream-tab" href=href aria-current=current>{name}</a> }
}

/// One message: its sequence, time, type, subject and summary, opening to the whole
/// payload; marked while consumers that read it have not acknowledged it; followed by the
/// cursors that stop here.
#[component]
fn TapeRow(
    message: TapeMessage,
    consumers: Memo<Vec<Consumer>>,
    placed: Memo<Placed>,
    /// The message the URL names, which is shown open.
    open: Signal<Option<u64>>,
) -> impl IntoView {
    let seq = message.seq;
    let waiting = {
        let message = message.clone();
        Memo::new(move |_| consumers.with(|c| tape::waiting_for(c, &message)))
    };
    let waiting_text = move || {
        let names = waiting.get();
        (!names.is_empty()).then(|| format!("not acknowledged by {}", names.join(", ")))
    };
    let body = serde_json::to_string_pretty(&message.body).unwrap_or_default();
    let cursors =
        Signal::derive(move || placed.with(|p| p.after.get(&seq).cloned().unwrap_or_default()));
    let kind = message
        .event_type
        .clone()
        .unwrap_or_else(|| "(record)".to_owned());
    let kind_attr = kind.clone();
    view! {
        <li class="tape-row" id=format!("tape-{seq}") data-seq=seq.to_string()
            data-type=kind_attr class:waiting=move || !waiting.with(Vec::is_empty)>
            <details open=move || open.get() == Some(seq)>
                <summary>
                    <span class="tape-seq">{format!("#{seq}")}</span>
                    <time datetime=message.time.to_rfc3339()>{time::clock(&message.time.to_rfc3339())}</time>
                    <span class="tape-type">{kind}</span>
                    <span class="tape-summary">{message.summary.clone()}</span>
                    <span class="tape-subject">{message.subject.clone()}</span>
                    <span class="tape-waiting">{waiting_text}</span>
                </summary>
                <pre class="tape-body">{body}</pre>
            </details>
            <CursorList cursors />
        </li>
    }
}

/// Consumers' cursors: `▲ moderation — acknowledged up to #12, delivered up to #13; 4 pending`.
#[component]
fn CursorList(cursors: Signal<Vec<Cursor>>) -> impl IntoView {
    view! {
        <For each=move || cursors.get() key=|c| c.clone() let:cursor>
            <p class="cursor" data-consumer=cursor.consumer.clone()
                data-acked=cursor.acked.to_string() data-pending=cursor.pending.to_string()>
                {format!(
                    "\u{25b2} {} \u{2014} acknowledged up to #{}, delivered up to #{}{}",
                    cursor.consumer,
                    cursor.acked,
                    cursor.delivered,
                    match cursor.pending {
                        0 => String::new(),
                        n => format!("; {n} more not delivered yet"),
                    },
                )}
            </p>
        </For>
    }
}

/// The URL's fragment, kept current.
fn url_fragment() -> RwSignal<String> {
    let hash = || window().location().hash().unwrap_or_default();
    let fragment = RwSignal::new(hash());
    // The listener lives as long as the page: its handle is dropped without removing it.
    let _ = window_event_listener(ev::hashchange, move |_| fragment.set(hash()));
    fragment
}

/// Scrolls message `seq` into view and puts the focus on it.
fn focus_row(seq: u64) {
    let row = document().get_element_by_id(&format!("tape-{seq}"));
    let summary = row.and_then(|row| row.query_selector("summary").ok().flatten());
    if let Some(summary) = summary.and_then(|s| s.dyn_into::<web_sys::HtmlElement>().ok()) {
        summary.scroll_into_view();
        let _ = summary.focus();
    }
}
