//! Live updates: `GET /posts/events` (and `GET /system/events`), server-sent-events streams.
//! The web client follows the paged form, `?limit=N` (see [`crate::live_pages`]); this
//! module holds what both forms share — [`Changes`], the fan-out of every change — and the
//! whole form, for any client that wants every post.
//!
//! A client that connects (or reconnects) first gets `event: snapshot` with every post, so
//! it never misses an update that happened while it was away; after that, one
//! `event: post` per changed post, carrying that post's whole view. The JSON of a change is
//! serialized once, in the consumer, and shared by every connected client.
//!
//! Each instance serves at most `QUERY_MAX_LIVE_CLIENTS` live connections at once (a 503
//! JSON error past that), and a slow client never slows the consumer: changes go out
//! through a broadcast channel that never waits for anyone; a client that falls too far
//! behind is sent a fresh snapshot instead.

use crate::dead_letters::DeadLetters;
use crate::page_cache::PageCache;
use crate::projection::ReadModel;
use crate::state::AppState;
use crate::{gave_up, pages};
use axum::extract::{RawQuery, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use bus::{CommentId, PostId};
use futures::stream::{self, BoxStream, Stream, StreamExt};
use parking_lot::RwLock;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, OwnedSemaphorePermit};
use web::ApiError;

/// How soon a browser should reconnect after the stream breaks.
pub(crate) const RECONNECT: Duration = Duration::from_secs(1);

/// A named `ping` event, unlike an SSE comment, reaches the page: it can tell a quiet
/// stream from a hung server.
pub(crate) fn keep_alive() -> KeepAlive {
    KeepAlive::new()
        .interval(Duration::from_secs(10))
        .event(Event::default().event("ping"))
}

/// How many changes a slow client may fall behind before it is sent a fresh snapshot.
const BACKLOG: usize = 1024;

/// The fan-out of read-model changes: one serialized post view per change; and the
/// post's JSON kept for pages, forgotten.
#[derive(Clone)]
pub struct Changes {
    sender: broadcast::Sender<Arc<str>>,
    /// Joined into each view (see [`crate::gave_up`]). Locked after the model, never
    /// before: every path takes the two in that order.
    letters: Arc<RwLock<DeadLetters>>,
    pages: PageCache,
    /// Which post changed, for the paged streams (see [`crate::live_pages`]): each writes
    /// the post as its pages show it, from the page cache.
    changed: broadcast::Sender<PostId>,
}

impl Changes {
    pub fn new(letters: Arc<RwLock<DeadLetters>>, pages: PageCache) -> Changes {
        Changes {
            sender: broadcast::Sender::new(BACKLOG),
            letters,
            pages,
            changed: broadcast::Sender::new(BACKLOG),
        }
    }

    /// Announces that `post` changed (called after the change). Cheap when nobody listens
    /// (as during the startup replay): nothing is serialized then.
    pub fn announce(&self, model: &ReadModel, post: PostId) {
        self.pages.forget(post);
        if self.changed.receiver_count() > 0 {
            let _ = self.changed.send(post);
        }
        if self.sender.receiver_count() == 0 {
            return;
        }
        if let Some(view) = gave_up::post(model, &self.letters.read(), post) {
            if let Ok(json) = serde_json::to_string(&view) {
                let _ = self.sender.send(json.into());
            }
        }
    }

    /// Announces the post of `comment`, whose dead letters changed (if the post is known).
    pub fn announce_comment(&self, model: &ReadModel, comment: CommentId) {
        // Finding the post is a scan: only when someone listens or a page is kept.
        let listened = self.sender.receiver_count() > 0 || self.changed.receiver_count() > 0;
        if !listened && self.pages.is_empty() {
            return;
        }
        if let Some(post) = model.post_of(comment) {
            self.announce(model, post);
        }
    }
}

impl Changes {
    /// The ids of the posts that change from now on.
    pub fn subscribe_to_ids(&self) -> broadcast::Receiver<PostId> {
        self.changed.subscribe()
    }
}

/// What a client is sent next.
enum Next {
    Snapshot,
    Changes(broadcast::Receiver<Arc<str>>),
}

/// A place among the live connections, given back when the connection ends.
pub(crate) fn live_place(app: &AppState) -> Result<OwnedSemaphorePermit, ApiError> {
    app.live_clients.clone().try_acquire_owned().map_err(|_| {
        ApiError::unavailable(
            "this query instance serves as many live connections as it may; try again later",
        )
    })
}

/// Every post, as the snapshot's JSON. The read lock is held only to copy the views; the
/// (possibly megabytes of) serializing happens after it is released, so the consumer is
/// never kept waiting by a client connecting.
fn snapshot_json(app: &AppState) -> String {
    let posts = app.posts();
    serde_json::to_string(&posts).unwrap_or_default()
}

/// `GET /posts/events`: every post, then each changed post whole; with `?limit=N`, the first
/// page, then each changed post as a page shows it (see [`crate::live_pages`]).
pub async fn events(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    let page = pages::parse::<PostId>(query.as_deref(), "after")?;
    if page.as_ref().is_some_and(|p| p.cursor.is_some()) {
        return Err(ApiError::bad_request(
            "the live stream starts at the newest page; older pages come from GET /posts",
        ));
    }
    let place = live_place(&app)?;
    let stream: BoxStream<'static, Result<Event, Infallible>> = match page {
        Some(page) => crate::live_pages::stream(app, page.limit, place).boxed(),
        None => whole_posts(app, place).boxed(),
    };
    Ok(Sse::new(stream).keep_alive(keep_alive()))
}

/// Every post, then each changed post whole.
fn whole_posts(
    app: AppState,
    place: OwnedSemaphorePermit,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(
        (app, Next::Snapshot, place),
        |(app, next, place)| async move {
            match next {
                Next::Snapshot => {
                    // Subscribe before taking the snapshot, so no change falls in between.
                    let receiver = app.changes.sender.subscribe();
                    app.until_stopped(app.wait_ready()).await?;
                    let json = snapshot_json(&app);
                    // `retry`: how soon a browser reconnects after losing us (its default is ~3 s).
                    let event = Event::default()
                        .event("snapshot")
                        .retry(RECONNECT)
                        .data(json);
                    Some((Ok(event), (app, Next::Changes(receiver), place)))
                }
                Next::Changes(mut receiver) => match app.until_stopped(receiver.recv()).await? {
                    Ok(post) => {
                        let event = Event::default().event("post").data(&*post);
                        Some((Ok(event), (app, Next::Changes(receiver), place)))
                    }
                    // Fell too far behind: start over with a fresh snapshot.
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let event = Event::default().comment("resynchronising");
                        Some((Ok(event), (app, Next::Snapshot, place)))
                    }
                    Err(broadcast::error::RecvError::Closed) => None,
                },
            }
        },
    )
}

/// `GET /system/events`: the system view now, then again each time it changes.
pub async fn system_events(
    State(app): State<AppState>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let place = live_place(&app)?;
    let receiver = app.system.subscribe();
    let stream = stream::unfold(
        (app, receiver, true, place),
        |(app, mut receiver, first, place)| async move {
            // Before query's first look there is nothing to show: wait for it.
            let nothing_yet = first && receiver.borrow().is_empty();
            if !first || nothing_yet {
                app.until_stopped(receiver.changed()).await?.ok()?;
            }
            let json = receiver.borrow_and_update().to_string();
            let event = Event::default().event("system").data(json);
            Some((Ok(event), (app, receiver, false, place)))
        },
    );
    Ok(Sse::new(stream).keep_alive(keep_alive()))
}
