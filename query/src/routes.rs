//! HTTP handlers: the read side of the system, and the lab's window on it.

use crate::live;
use crate::projection::PostView;
use crate::state::AppState;
use crate::timeline::TimelineView;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::IntoResponse;
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

async fn list_posts(State(app): State<AppState>) -> Json<Vec<PostView>> {
    Json(app.posts())
}

async fn one_post(
    State(app): State<AppState>,
    IdParam(id): IdParam<PostId>,
) -> Result<Json<PostView>, ApiError> {
    crate::gave_up::post(&app.model.read(), &app.dead_letters.read(), id)
        .map(Json)
        .ok_or_else(|| no_such::<PostId>(&id.to_string()))
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
