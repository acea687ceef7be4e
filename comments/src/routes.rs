//! HTTP handlers. A new comment answers 201 only after JetStream has stored its
//! `CommentCreated`, which the handler then applies to its own state at once (idempotent:
//! the follower brings the same event again later; see `posts::routes`). With an
//! `Idempotency-Key`, sending the same create again answers the same 201 and stores nothing
//! new, however much later (see `posts::routes`).

use crate::domain::{Comment, CommentContent};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use bus::{
    CommentCreated, CommentId, CommentStatus, CorrelationId, Event, EventBody, EventId, PostId,
};
use contract::api::{Comment as WireComment, NewComment};
use web::{ApiError, IdParam, IdempotencyKey, JsonBody};

/// A post's comments, listed and created, behind the readiness gate; and `/health`.
pub fn router(state: AppState) -> Router {
    let gated = Router::new().route(
        "/posts/{id}/comments",
        get(list_comments).post(create_comment),
    );
    web::service::app(state, gated, Router::new())
}

async fn create_comment(
    State(app): State<AppState>,
    IdParam(post_id): IdParam<PostId>,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(input): JsonBody<NewComment>,
) -> Result<(StatusCode, Json<WireComment>), ApiError> {
    let content = CommentContent::parse(&input.content).map_err(ApiError::unprocessable)?;
    existing_post(&app, post_id).await?;
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
) -> Result<(StatusCode, Json<WireComment>), ApiError> {
    if comment.post_id != post_id || comment.content != content.into_inner() {
        return Err(ApiError::unprocessable(format!(
            "this Idempotency-Key was already used to create the comment {:?} with another \
             post or text; use a new key for a new comment",
            comment.id.to_string()
        )));
    }
    Ok((StatusCode::CREATED, Json(comment.to_wire())))
}

async fn list_comments(
    State(app): State<AppState>,
    IdParam(post_id): IdParam<PostId>,
) -> Result<Json<Vec<WireComment>>, ApiError> {
    existing_post(&app, post_id).await?;
    let comments = app.comments.read().for_post(post_id);
    Ok(Json(comments.iter().map(Comment::to_wire).collect()))
}

/// Checks the post exists: 404 if not, 503 if the POSTS stream cannot be asked.
async fn existing_post(app: &AppState, post_id: PostId) -> Result<(), ApiError> {
    match app.lookup.post_exists(post_id).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(web::no_such::<PostId>(&post_id.to_string())),
        Err(error) => {
            tracing::warn!(error = format!("{error:#}"), "post lookup failed");
            Err(ApiError::unavailable(
                "the event broker is unavailable; try again shortly",
            ))
        }
    }
}
