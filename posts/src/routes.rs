//! HTTP handlers. A write answers 201 only after JetStream has stored the event; the
//! handler then applies that stored event to its own state at once, so a `GET` right after
//! a `POST` shows the new post (read-your-writes). The follower will bring the same event
//! from the stream a moment later; applying is idempotent, so that changes nothing — and
//! other instances learn of the post from the stream alone.
//!
//! A create with an `Idempotency-Key` publishes an event whose id is derived from the key.
//! Sent again — after a 201, a 503, a timeout, a restart, days later — it finds the post that
//! event created (the map is rebuilt from the stream) and answers the same 201, storing
//! nothing new.

use crate::domain::{Post, PostTitle};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use bus::{CorrelationId, Event, EventBody, EventId, PostCreated, PostId};
use contract::api::NewPost;
use web::{ApiError, IdempotencyKey, JsonBody};

/// `GET /posts` and `POST /posts`, behind the readiness gate; and `/health`.
pub fn router(state: AppState) -> Router {
    let gated = Router::new().route("/posts", get(list_posts).post(create_post));
    web::service::app(state, gated, Router::new())
}

async fn create_post(
    State(app): State<AppState>,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(input): JsonBody<NewPost>,
) -> Result<(StatusCode, Json<Post>), ApiError> {
    let title = PostTitle::parse(&input.title).map_err(ApiError::unprocessable)?;
    let event_id = key.map_or_else(EventId::new, |key| EventId::for_request("posts", &key));
    // Asked before: answer what that request created.
    let earlier = app.posts.read().created_by(event_id).cloned();
    if let Some(post) = earlier {
        return same_request(post, title);
    }
    let post = Post {
        id: PostId::new(),
        title: title.clone().into_inner(),
    };
    let event = Event::new(
        EventBody::PostCreated(PostCreated {
            id: post.id,
            title: post.title.clone(),
        }),
        CorrelationId::new(),
    )
    .with_id(event_id);
    // The stored event is ours, or an earlier attempt's with the same key that JetStream
    // still remembered (then it dropped ours): either way, answer what is stored.
    let stored = app.publisher.publish_once(&event).await?;
    let earlier_attempt = stored != event;
    tracing::info!(post_id = %post.id, event_id = %event.id,
        correlation_id = %event.correlationid, earlier_attempt, "post created");
    // Why not wait for the follower to bring it back instead? Measured (`make bench`): with
    // 64 writers, every applied event woke all 64 waiting requests, and the round trip
    // through the stream doubled each write's latency.
    let mut posts = app.posts.write();
    posts.apply(&stored);
    let created = posts.created_by(event_id).cloned();
    drop(posts);
    match created {
        Some(post) => same_request(post, title),
        None => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the stored event is not a post",
        )),
    }
}

/// The answer to a create whose key already created `post`: the same 201, if the request is
/// the same; 422 if the key is being reused for another title.
fn same_request(post: Post, title: PostTitle) -> Result<(StatusCode, Json<Post>), ApiError> {
    if post.title != title.into_inner() {
        return Err(ApiError::unprocessable(format!(
            "this Idempotency-Key was already used to create the post {:?} with another title; \
             use a new key for a new post",
            post.id.to_string()
        )));
    }
    Ok((StatusCode::CREATED, Json(post)))
}

async fn list_posts(State(app): State<AppState>) -> Json<Vec<Post>> {
    Json(app.posts.read().list())
}
