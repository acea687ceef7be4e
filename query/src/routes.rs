//! HTTP handlers: the read side of the system, and the lab's window on it.

use crate::state::AppState;
use crate::timeline::TimelineView;
use crate::{gave_up, live, page_cache, pages};
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bus::{CommentId, PostId};
use web::{no_such, ApiError, IdParam};

/// The read model's routes answer once the replay has caught up; the live streams (which
/// wait for it themselves), the system view and the dead-letter retries at once.
pub fn router(state: AppState) -> Router {
    let gated = Router::new()
        .route("/posts", get(list_posts))
        .route("/posts/{id}", get(one_post))
        .route("/comments/{id}/timeline", get(timeline));
    let open = Router::new()
        .route("/posts/events", get(live::events))
        .route("/system", get(system))
        .route("/system/events", get(live::system_events))
        .route("/streams/{name}/messages", get(tape))
        .merge(crate::dead_letter_routes::routes(
            web::cors::allowed_origins(),
        ));
    web::service::app(state, gated, open)
}

/// Every post, oldest first; or with `?limit=N&after=<post id>`, a page of them, newest
/// first (see [`crate::pages`]).
async fn list_posts(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let Some(page) = pages::parse::<PostId>(query.as_deref(), "after")? else {
        return Ok(Json(app.posts()).into_response());
    };
    // Written under the read locks (model first, then the letters, as everywhere): most
    // of it is copying each post's JSON from the page cache.
    let json = page_cache::posts_page(
        &app.model.read(),
        &app.dead_letters.read(),
        &app.pages,
        page.limit,
        page.cursor,
    );
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

/// One post with all its comments; or with `?limit=N&before=<comment id>`, with a page of
/// them (see [`crate::pages`]).
async fn one_post(
    State(app): State<AppState>,
    IdParam(id): IdParam<PostId>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let page = pages::parse::<CommentId>(query.as_deref(), "before")?;
    // Each view is copied under the locks (released at the end of its statement) and
    // written as JSON after.
    let answer = match page {
        None => {
            let post = gave_up::post(&app.model.read(), &app.dead_letters.read(), id);
            post.map(|post| Json(post).into_response())
        }
        Some(page) => {
            let (limit, before) = (page.limit, page.cursor);
            let letters = &app.dead_letters;
            let post = gave_up::paged_post(&app.model.read(), &letters.read(), id, limit, before);
            post.map(|post| Json(post).into_response())
        }
    };
    answer.ok_or_else(|| no_such::<PostId>(&id.to_string()))
}

async fn timeline(
    State(app): State<AppState>,
    IdParam(id): IdParam<CommentId>,
) -> Result<Json<TimelineView>, ApiError> {
    let timeline = app.model.read().timeline(id);
    timeline
        .map(Json)
        .ok_or_else(|| no_such::<CommentId>(&id.to_string()))
}

/// The latest system view (refreshed every second; 503 before query's first look).
async fn system(State(app): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let json = app.system.borrow().to_string();
    if json.is_empty() {
        return Err(ApiError::unavailable(
            "query is taking its first look at the system",
        ));
    }
    Ok(([(header::CONTENT_TYPE, "application/json")], json))
}

/// One page of a stream's tape (`?before=` or `?from=` a sequence, `?limit=`): see
/// [`crate::tape`]. Only the streams the system view shows have a tape.
async fn tape(
    State(app): State<AppState>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<crate::tape::TapePage>, ApiError> {
    let shown = crate::system::streams_shown();
    if !shown.contains(&name.as_str()) {
        return Err(ApiError::not_found(format!(
            "no stream {name:?} on the tape; there are {}",
            shown.join(", ")
        )));
    }
    let (window, limit) = crate::tape::parse_query(query.as_deref())?;
    crate::tape::page(&app.js, &name, window, limit)
        .await
        .map(Json)
}
