//! HTTP handlers. A new comment answers 201 only after JetStream has stored its
//! `CommentCreated`, which the handler then applies to its own state at once (idempotent:
//! the follower brings the same event again later; see `posts::routes`). With an
//! `Idempotency-Key`, sending the same create again answers the same 201 and stores nothing
//! new, however much later (see `posts::routes`).

use crate::domain::{Comment, CommentContent, Comments};
use crate::lookup::Lookup;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use bus::progress::Progress;
use bus::{
    CommentCreated, CommentId, CommentStatus, CorrelationId, Event, EventBody, EventId, PostId,
    Publisher,
};
use parking_lot::RwLock;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use web::{ApiError, IdempotencyKey, JsonBody, PathParam};

#[derive(Clone)]
pub struct AppState {
    pub publisher: Publisher,
    /// Asks the streams whether a post exists.
    pub lookup: Lookup,
    /// Never held across an `.await` (see `posts::routes::AppState`).
    pub comments: Arc<RwLock<Comments>>,
    /// How far the COMMENTS stream has been applied.
    pub progress: Progress,
    /// Whether the consumer of moderation decisions can read (for `/health`).
    pub decisions: Progress,
}

pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route(
            "/posts/{id}/comments",
            get(list_comments).post(create_comment),
        )
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
    PathParam(post_id): PathParam<String>,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(input): JsonBody<CreateComment>,
) -> Result<(StatusCode, Json<Comment>), ApiError> {
    if !app.progress.is_ready() {
        return Err(ApiError::starting());
    }
    let content = CommentContent::parse(&input.content).map_err(ApiError::unprocessable)?;
    let post_id = existing_post(&app, &post_id).await?;
    let event_id = key.map_or_else(EventId::new, |key| EventId::for_request("comments", &key));
    // Asked before: answer what that request created.
    let earlier = app.comments.read().created_by(event_id);
    if let Some(comment) = earlier {
        return same_request(comment, post_id, content);
    }
    let created = CommentCreated {
        id: CommentId::new(),
        post_id,
        content: content.clone().into_inner(),
        status: CommentStatus::Pending,
    };
    let event = Event::new(
        EventBody::CommentCreated(created.clone()),
        CorrelationId::new(),
    )
    .with_id(event_id);
    // Ours, or an earlier attempt's with the same key (see `posts::routes`).
    let stored = app.publisher.publish_once(&event).await?;
    let earlier_attempt = stored != event;
    tracing::info!(comment_id = %created.id, %post_id, event_id = %event.id,
        correlation_id = %event.correlationid, earlier_attempt, "comment created");
    let mut comments = app.comments.write();
    comments.apply(&stored);
    let comment = comments.created_by(event_id);
    drop(comments);
    match comment {
        Some(comment) => same_request(comment, post_id, content),
        None => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the stored event is not a comment",
        )),
    }
}

/// The answer to a create whose key already created `comment`: the same 201 if the request
/// is the same (same post, same text); 422 if the key is being reused for another one.
fn same_request(
    comment: Comment,
    post_id: PostId,
    content: CommentContent,
) -> Result<(StatusCode, Json<Comment>), ApiError> {
    if comment.post_id != post_id || comment.content != content.into_inner() {
        return Err(ApiError::unprocessable(format!(
            "this Idempotency-Key was already used to create the comment {:?} with another \
             post or text; use a new key for a new comment",
            comment.id.to_string()
        )));
    }
    Ok((StatusCode::CREATED, Json(comment)))
}

async fn list_comments(
    State(app): State<AppState>,
    PathParam(post_id): PathParam<String>,
) -> Result<Json<Vec<Comment>>, ApiError> {
    if !app.progress.is_ready() {
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
            Err(ApiError::unavailable(
                "the event broker is unavailable; try again shortly",
            ))
        }
    }
}

async fn health(State(app): State<AppState>) -> (StatusCode, Json<Value>) {
    let (status, body) = status(&app);
    (status, Json(body))
}

/// The service's state, for `/health` and the NATS status endpoint.
pub fn status(app: &AppState) -> (StatusCode, Value) {
    let ready = app.progress.is_ready() && app.decisions.is_reading();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "service": "comments",
        "status": if ready { "ready" } else { "replaying" },
        "broker": if app.publisher.is_connected() { "connected" } else { "disconnected" },
        "appliedSequence": app.progress.applied_sequence(),
    });
    (status, body)
}
