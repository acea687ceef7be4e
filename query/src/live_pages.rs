//! The paged live stream, `GET /posts/events?limit=N`: what the web client follows, so that
//! opening a blog of 100,000 posts costs what opening one of ten does.
//!
//! A client that connects (or reconnects, or falls too far behind) first gets `event: page`,
//! the first page as `GET /posts?limit=N` answers it. After that, `event: post` for each
//! post that changes (a new one, a new or moderated comment), as a page shows it: its newest
//! comments, its comment count. Never the whole model, and never a post's whole history: a
//! new comment on a post of 100,000 comments sends twenty.
//!
//! Each change is written once, into the page cache, however many clients are connected:
//! the broadcast carries only the post's id (see [`crate::live::Changes`]).

use crate::page_cache;
use crate::state::AppState;
use axum::response::sse::Event;
use bus::PostId;
use contract::views::{LIVE_PAGE, LIVE_POST};
use futures::stream::{self, Stream};
use std::convert::Infallible;
use tokio::sync::{broadcast, OwnedSemaphorePermit};

/// What a client is sent next.
enum Next {
    Page,
    Changes(broadcast::Receiver<PostId>),
}

/// The first `limit` posts, then each changed post; for as long as the client stays.
pub fn stream(
    app: AppState,
    limit: usize,
    place: OwnedSemaphorePermit,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(
        (app, Next::Page, place),
        move |(app, next, place)| async move {
            match next {
                Next::Page => {
                    // Subscribe before taking the page, so no change falls in between.
                    let receiver = app.changes.subscribe_to_ids();
                    app.until_stopped(app.wait_ready()).await?;
                    let json = page_cache::posts_page(
                        &app.model.read(),
                        &app.dead_letters.read(),
                        &app.pages,
                        limit,
                        None,
                    );
                    let event = Event::default()
                        .event(LIVE_PAGE)
                        .retry(crate::live::RECONNECT)
                        .data(json);
                    Some((Ok(event), (app, Next::Changes(receiver), place)))
                }
                Next::Changes(mut receiver) => loop {
                    match app.until_stopped(receiver.recv()).await? {
                        Ok(post) => {
                            let json = page_cache::post(
                                &app.model.read(),
                                &app.dead_letters.read(),
                                &app.pages,
                                post,
                            );
                            // A comment whose post has not arrived yet changes no page.
                            let Some(json) = json else { continue };
                            let event = Event::default().event(LIVE_POST).data(&*json);
                            return Some((Ok(event), (app, Next::Changes(receiver), place)));
                        }
                        // Fell too far behind: start over with a fresh first page.
                        Err(broadcast::error::RecvError::Lagged(_)) => {
                            let event = Event::default().comment("resynchronising");
                            return Some((Ok(event), (app, Next::Page, place)));
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                },
            }
        },
    )
}
