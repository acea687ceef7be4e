//! Live reads: query's server-sent events, turned into the [`Board`] signal and a
//! [`Link`] signal that says whether the read side is reachable.
//!
//! Query sends `snapshot` (the whole list) first on every connection, then `post` (one
//! changed post) for each change. Because every (re)connect starts with the whole state,
//! nothing missed while disconnected is lost, and no "catch up" logic is needed here.
//!
//! Reconnecting: the browser's `EventSource` retries by itself after a dropped connection
//! (query killed, network blip). It gives up for good only when an answer is not an event
//! stream — a 503 while query replays its history, say — and then this module opens a new
//! one after a short, growing delay.

use crate::model::{Board, Post};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Event, EventSource, MessageEvent};

/// How the page's link to the read side is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// Before the first snapshot.
    Connecting,
    /// A snapshot arrived on the current connection.
    Live,
    /// The last connection failed or dropped; a retry is under way.
    Down,
}

/// The name of the `performance.mark` set when posts are first on screen, which the
/// browser test reads to report the page's load time.
pub const POSTS_SHOWN_MARK: &str = "posts-shown";

const FIRST_RETRY_MS: u32 = 500;
const MAX_RETRY_MS: u32 = 5_000;

/// Follows `{query}/posts/events` for the life of the page.
pub fn follow(query_base: &str, board: RwSignal<Board>, link: RwSignal<Link>) {
    let follower = Rc::new(Follower {
        url: format!("{query_base}/posts/events"),
        board,
        link,
        current: RefCell::new(None),
        retry_ms: Cell::new(FIRST_RETRY_MS),
        shown_once: Cell::new(false),
    });
    follower.open();
}

struct Follower {
    url: String,
    board: RwSignal<Board>,
    link: RwSignal<Link>,
    /// The open `EventSource` with its handlers (which must live as long as it does).
    current: RefCell<Option<Connection>>,
    retry_ms: Cell<u32>,
    shown_once: Cell<bool>,
}

struct Connection {
    source: EventSource,
    _on_snapshot: Closure<dyn FnMut(MessageEvent)>,
    _on_post: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.source.close();
    }
}

impl Follower {
    /// Opens a new connection, replacing (and closing) the previous one. The handlers hold
    /// an `Rc` to the follower: a deliberate cycle, since it lives as long as the page.
    fn open(self: &Rc<Self>) {
        let source = match EventSource::new(&self.url) {
            Ok(source) => source,
            Err(err) => {
                // Only a malformed URL gets here; retrying cannot fix it.
                leptos::logging::error!("cannot open {}: {err:?}", self.url);
                self.link.set(Link::Down);
                return;
            }
        };

        let me = Rc::clone(self);
        let on_snapshot = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            match decode::<Vec<Post>>(&event) {
                Ok(posts) => me.took_snapshot(posts),
                Err(err) => {
                    leptos::logging::warn!("ignoring a snapshot that does not decode: {err}")
                }
            }
        });
        let me = Rc::clone(self);
        let on_post = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            match decode::<Post>(&event) {
                Ok(post) => me.board.update(|board| board.merge_post(post)),
                Err(err) => {
                    leptos::logging::warn!("ignoring a post event that does not decode: {err}")
                }
            }
        });
        let me = Rc::clone(self);
        let on_error = Closure::<dyn FnMut(Event)>::new(move |_: Event| me.failed());

        let listen = |name: &str, f: &JsValue| {
            source.add_event_listener_with_callback(name, f.unchecked_ref())
        };
        let listening = listen("snapshot", on_snapshot.as_ref())
            .and_then(|_| listen("post", on_post.as_ref()))
            .and_then(|_| listen("error", on_error.as_ref()));
        if let Err(err) = listening {
            leptos::logging::error!("cannot listen to {}: {err:?}", self.url);
        }

        let connection = Connection {
            source,
            _on_snapshot: on_snapshot,
            _on_post: on_post,
            _on_error: on_error,
        };
        // The old connection (if any) is dropped here, outside its own handlers: this runs
        // from `follow` or from the retry task, never from inside an event callback.
        self.current.replace(Some(connection));
    }

    fn took_snapshot(&self, posts: Vec<Post>) {
        self.board.update(|board| board.replace_all(posts));
        self.link.set(Link::Live);
        self.retry_ms.set(FIRST_RETRY_MS);
        if !self.shown_once.replace(true) {
            // After the next frame the list is on screen; mark that moment for the test.
            request_animation_frame(|| {
                if let Some(performance) = window().performance() {
                    let _ = performance.mark(POSTS_SHOWN_MARK);
                }
            });
        }
    }

    fn failed(self: &Rc<Self>) {
        self.link.set(Link::Down);
        let closed = self
            .current
            .borrow()
            .as_ref()
            .is_none_or(|c| c.source.ready_state() == EventSource::CLOSED);
        if closed {
            // The browser will not retry this one; open a fresh one after a pause. Doubling
            // the pause keeps a long outage from turning into a stream of requests.
            let delay = self.retry_ms.get();
            self.retry_ms.set((delay * 2).min(MAX_RETRY_MS));
            let me = Rc::clone(self);
            wasm_bindgen_futures::spawn_local(async move {
                TimeoutFuture::new(delay).await;
                me.open();
            });
        }
    }
}

fn decode<T: serde::de::DeserializeOwned>(event: &MessageEvent) -> Result<T, String> {
    let text = event
        .data()
        .as_string()
        .ok_or("the event has no text data")?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}
