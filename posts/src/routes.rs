//! HTTP handlers. A write answers 201 only after JetStream has stored the event; the
//! handler then applies that stored event to its own state at once, so a `GET` right after
//! a `POST` shows the new post (read-your-writes). The follower will bring the same event
//! from the stream a moment later; applying is idempotent, so that changes nothing — and
//! other instances learn of the post from the stream alone.

use crate::domain::{Post, PostTitle, Posts};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use bus::progress::Progress;
use bus::{CorrelationId, Event, EventBody, PostCreated, PostId, Publisher};
use parking_lot::RwLock;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use web::{ApiError, JsonBody};

#[derive(Clone)]
pub struct AppState {
    pub publisher: Publisher,
    /// A parking_lot lock: it is never held across an `.await`, and unlike std's it cannot be
    /// poisoned, so readers need no error handling for it.
    pub posts: Arc<RwLock<Posts>>,
    pub progress: Progress,
}

pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/posts", get(list_posts).post(create_post))
        .route("/health", get(health))
        .with_state(state);
    web::server::with_middleware(routes)
}

#[derive(Deserialize)]
pub struct CreatePost {
    title: String,
}

async fn create_post(
    State(app): State<AppState>,
    JsonBody(input): JsonBody<CreatePost>,
) -> Result<(StatusCode, Json<Post>), ApiError> {
    if !app.progress.is_caught_up() {
        return Err(ApiError::starting());
    }
    let title = PostTitle::parse(&input.title).map_err(ApiError::unprocessable)?;
    let post = Post { id: PostId::new(), title: title.into_inner() };
    let event = Event::new(
        EventBody::PostCreated(PostCreated { id: post.id, title: post.title.clone() }),
        CorrelationId::new(),
    );
    let stored = app.publisher.publish(&event).await?;
    tracing::info!(post_id = %post.id, event_id = %event.id,
        correlation_id = %event.correlationid, "post created");
    // Why not wait for the follower to bring it back instead? Measured (`make bench`): with
    // 64 writers, every applied event woke all 64 waiting requests, and the round trip
    // through the stream doubled each write's latency.
    app.posts.write().apply(&event.body);
    tracing::debug!(sequence = stored.sequence, "applied our own stored event");
    Ok((StatusCode::CREATED, Json(post)))
}

async fn list_posts(State(app): State<AppState>) -> Result<Json<Vec<Post>>, ApiError> {
    if !app.progress.is_caught_up() {
        return Err(ApiError::starting());
    }
    Ok(Json(app.posts.read().list()))
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
        "service": "posts",
        "status": if ready { "ready" } else { "replaying" },
        "broker": if app.publisher.is_connected() { "connected" } else { "disconnected" },
        "posts": app.posts.read().len(),
        "appliedSequence": app.progress.applied_sequence(),
    });
    (status, body)
}
