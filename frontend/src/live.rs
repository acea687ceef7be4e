//! Live reads: query's server-sent-event streams, turned into the signals of a
//! [`PostsFeed`] and a [`SystemFeed`], each with a [`Link`] signal that says whether it is
//! reachable. (Live data is a signal, not a resource: it is pushed, never asked for.)
//!
//! - `/posts/events?limit=20` ([`follow_posts`]) feeds the [`Board`](crate::model::Board):
//!   `page` (the newest posts) first on every connection, then `post` (one changed post, as
//!   a page shows it: its newest comments) for each change. Older posts and comments are
//!   asked for when the reader wants them (see [`crate::api::older_posts`]).
//! - `/system/events` ([`follow_system`]) feeds the lab's [`SystemView`]: one `system`
//!   event with the whole view on every connection and on every change.
//!
//! Because every (re)connect starts with the current state (the first page, the whole
//! system view), nothing missed while disconnected is lost, and no "catch up" logic is
//! needed here.
//!
//! Reconnecting (the same for both, in `Follower`): the browser's `EventSource` retries
//! by itself after a dropped connection (query killed, network blip). It gives up for good
//! only when an answer is not an event stream — a 503 while query replays its history,
//! say — and then a new one is opened after a short, growing delay.

use crate::api::PAGE;
use crate::context::{PostsFeed, SystemFeed};
use crate::model::system::{SystemView, SystemViewRules};
pub use crate::model::Link;
use crate::model::Post;
use contract::views::{PagedPost, PostsPage, LIVE_PAGE, LIVE_POST};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Event, EventSource, MessageEvent};

/// The name of the `performance.mark` set when posts are first on screen, which the
/// browser test reads to report the page's load time.
pub const POSTS_SHOWN_MARK: &str = "posts-shown";

const FIRST_RETRY_MS: u32 = 500;
const MAX_RETRY_MS: u32 = 5_000;

/// What to do with one named event's text; `Err` says why it was ignored.
type Handler = Box<dyn Fn(&str) -> Result<(), String>>;

/// Follows `{query}/posts/events` into the feed's board for the life of the page.
pub fn follow_posts(query_base: &str, feed: PostsFeed) {
    let PostsFeed { board, link } = feed;
    let shown_once = Rc::new(Cell::new(false));
    let on_page: Handler = Box::new(move |text| {
        let page: PostsPage = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let posts: Vec<Post> = page.posts.into_iter().map(Post::from).collect();
        let older = page.next.map(|id| id.to_string());
        board.update(|board| board.replace_first_page(posts, older));
        if !shown_once.replace(true) {
            // After the next frame the list is on screen; mark that moment for the test.
            request_animation_frame(|| {
                if let Some(performance) = window().performance() {
                    let _ = performance.mark(POSTS_SHOWN_MARK);
                }
            });
        }
        Ok(())
    });
    let on_post: Handler = Box::new(move |text| {
        let post = Post::from(serde_json::from_str::<PagedPost>(text).map_err(|e| e.to_string())?);
        board.update(|board| board.merge_post(post));
        Ok(())
    });
    Follower::start(
        format!("{query_base}/posts/events?limit={PAGE}"),
        vec![(LIVE_PAGE, on_page), (LIVE_POST, on_post)],
        link,
    );
}

/// Follows `{query}/system/events` into the feed's view for the life of the page.
pub fn follow_system(query_base: &str, feed: SystemFeed) {
    let SystemFeed { view, link } = feed;
    let on_system: Handler = Box::new(move |text| {
        let system = SystemView::from_json(text).map_err(|e| e.to_string())?;
        view.set(Some(system));
        Ok(())
    });
    Follower::start(
        format!("{query_base}/system/events"),
        vec![("system", on_system)],
        link,
    );
}

/// One event stream, kept open.
struct Follower {
    url: String,
    handlers: Vec<(&'static str, Handler)>,
    link: RwSignal<Link>,
    /// The open `EventSource` with its listeners (which must live as long as it does).
    current: RefCell<Option<Connection>>,
    retry_ms: Cell<u32>,
}

struct Connection {
    source: EventSource,
    _on_events: Vec<Closure<dyn FnMut(MessageEvent)>>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.source.close();
    }
}

impl Follower {
    fn start(url: String, handlers: Vec<(&'static str, Handler)>, link: RwSignal<Link>) {
        let follower = Rc::new(Follower {
            url,
            handlers,
            link,
            current: RefCell::new(None),
            retry_ms: Cell::new(FIRST_RETRY_MS),
        });
        follower.open();
    }

    /// Opens a new connection, replacing (and closing) the previous one. The listeners hold
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

        let mut on_events = Vec::new();
        let mut listening = Ok(());
        for (index, (name, _)) in self.handlers.iter().enumerate() {
            let me = Rc::clone(self);
            let on_event = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                me.received(index, &event)
            });
            listening = listening.and_then(|_| {
                source.add_event_listener_with_callback(name, on_event.as_ref().unchecked_ref())
            });
            on_events.push(on_event);
        }
        let me = Rc::clone(self);
        let on_error = Closure::<dyn FnMut(Event)>::new(move |_: Event| me.failed());
        listening = listening.and_then(|_| {
            source.add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref())
        });
        if let Err(err) = listening {
            leptos::logging::error!("cannot listen to {}: {err:?}", self.url);
        }

        let connection = Connection {
            source,
            _on_events: on_events,
            _on_error: on_error,
        };
        // The old connection (if any) is dropped here, outside its own listeners: this runs
        // from `start` or from the retry task, never from inside an event callback.
        self.current.replace(Some(connection));
    }

    fn received(&self, index: usize, event: &MessageEvent) {
        let (name, handler) = &self.handlers[index];
        let handled = event
            .data()
            .as_string()
            .ok_or_else(|| "the event has no text data".to_owned())
            .and_then(|text| handler(&text));
        match handled {
            Ok(()) => {
                self.link.set(Link::Live);
                self.retry_ms.set(FIRST_RETRY_MS);
            }
            Err(err) => {
                leptos::logging::warn!("ignoring a {name} event that does not decode: {err}")
            }
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
