//! HTTP handlers. A new comment answers 201 only after JetStream has stored its
//! `CommentCreated`, which the handler then applies to its own state at once (idempotent:
//! the follower brings the same event again later; see `posts::routes`).

use crate::domain::{Comment, CommentContent, Comments};
use crate::lookup::Lookup;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use bus::progress::Progress;
use bus::{CommentCreated, CommentId, CommentStatus, CorrelationId, Event, EventBody, PostId, Publisher};
use parking_lot::RwLock;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use web::{ApiError, JsonBody};

#[derive(Clone)]
pub struct AppState {
    pub publisher: Publisher,
    /// Asks the streams whether a post exists.
    pub lookup: Lookup,
    /// Never held across an `.await` (see `posts::routes::AppState`).
    pub comments: Arc<RwLock<Comments>>,
    /// How far the COMMENTS stream has been applied.
    pub progress: Progress,
}

pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/posts/{id}/comments", get(list_comments).post(create_comment))
        .route("/health", get(health))
        .with_state(state);
    web::server::with_middleware(routes)
}

#[derive(Deserialize)]
pub struct CreateComment {
    content: String,
}

async fn create_comment(
    State(app): State<AppState>,
    Path(post_id): Path<String>,
    JsonBody(input): JsonBody<CreateComment>,
) -> Result<(StatusCode, Json<Comment>), ApiError> {
    if !app.progress.is_caught_up() {
        return Err(ApiError::starting());
    }
    let content = CommentContent::parse(&input.content).map_err(ApiError::unprocessable)?;
    let post_id = existing_post(&app, &post_id).await?;
    let created = CommentCreated {
        id: CommentId::new(),
        post_id,
        content: content.into_inner(),
        status: CommentStatus::Pending,
    };
    let event = Event::new(EventBody::CommentCreated(created.clone()), CorrelationId::new());
    let stored = app.publisher.publish(&event).await?;
    tracing::info!(comment_id = %created.id, %post_id, event_id = %event.id,
        correlation_id = %event.correlationid, "comment created");
    app.comments.write().apply(&event);
    tracing::debug!(sequence = stored.sequence, "applied our own stored event");
    let comment = Comment {
        id: created.id,
        post_id,
        content: created.content,
        status: created.status,
        version: 0,
        applied_decisions: Vec::new(),
    };
    Ok((StatusCode::CREATED, Json(comment)))
}

async fn list_comments(
    State(app): State<AppState>,
    Path(post_id): Path<String>,
) -> Result<Json<Vec<Comment>>, ApiError> {
    if !app.progress.is_caught_up() {
        return Err(ApiError::starting());
    }
    let post_id = existing_post(&app, &post_id).await?;
    Ok(Json(app.comments.read().for_post(post_id)))
}

/// Parses the post id from the path and checks the post exists: 404 if not, 503 if the
/// POSTS stream cannot be asked.
async fn existing_post(app: &AppState, raw_id: &str) -> Result<PostId, ApiError> {
    let unknown = || ApiError::not_found(format!("there is no post with id {raw_id:?}"));
    let post_id: PostId = raw_id.parse().map_err(|_| unknown())?;
    match app.lookup.post_exists(post_id).await {
        Ok(true) => Ok(post_id),
        Ok(false) => Err(unknown()),
        Err(error) => {
            tracing::warn!(%error, "post lookup failed");
            Err(ApiError::unavailable("the event broker is unavailable; try again shortly"))
        }
    }
}

async fn health(State(app): State<AppState>) -> (StatusCode, Json<Value>) {
    let (status, body) = status(&app);
    (status, Json(body))
}

/// The service's state, for `/health` and the NATS status endpoint.
pub fn status(app: &AppState) -> (StatusCode, Value) {
    let ready = app.progress.is_caught_up();
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({
        "service": "comments",
        "status": if ready { "ready" } else { "replaying" },
        "broker": if app.publisher.is_connected() { "connected" } else { "disconnected" },
        "appliedSequence": app.progress.applied_sequence(),
    });
    (status, body)
}
