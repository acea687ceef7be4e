//! Moderation's routes: `GET /health` (see [`crate::state`]), the live knobs, and the
//! comments waiting for a person.
//!
//! - `GET /knobs`: the knobs in force ([`KnobsView`]); `PUT /knobs` with a whole
//!   [`ModerationKnobs`] stores them in the KV bucket, for every instance (200 with what was
//!   stored; 422 with what is wrong; 503 without the broker); `DELETE /knobs` deletes them,
//!   so every instance goes back to its start-up defaults (its environment variables).
//! - `GET /waiting`: the comments waiting for a person, oldest first.
//! - `POST /waiting/{id}/decision` with `{"status": "approved"}` (or `"rejected"`): 200 once
//!   the decision is stored; 404 if the comment does not wait; 409 if someone decided first.

use crate::state::AppState;
use crate::waiting::{self, Refused};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use bus::{CommentId, CommentStatus};
use contract::lab::{Decision, KnobsView, ModerationKnobs, WaitingComment};
use web::{ApiError, IdParam, JsonBody};

pub fn router(state: AppState) -> Router {
    let open = Router::new()
        .route("/knobs", get(knobs).put(set_knobs).delete(reset_knobs))
        .route("/waiting", get(list_waiting))
        .route("/waiting/{id}/decision", post(decide));
    web::service::app(state, Router::new(), open)
}

async fn knobs(State(app): State<AppState>) -> Json<KnobsView> {
    Json(app.knobs.borrow().view.clone())
}

async fn set_knobs(
    State(app): State<AppState>,
    JsonBody(knobs): JsonBody<ModerationKnobs>,
) -> Result<Json<KnobsView>, ApiError> {
    if let Some(problem) = knobs.problem() {
        return Err(ApiError::unprocessable(problem));
    }
    let revision = crate::knobs::store(app.publisher.jetstream(), &knobs)
        .await
        .map_err(|error| unavailable("the knobs were not stored", &error))?;
    tracing::info!(?knobs, revision, "knobs stored");
    Ok(Json(KnobsView {
        knobs,
        revision: Some(revision),
    }))
}

async fn reset_knobs(State(app): State<AppState>) -> Result<axum::http::StatusCode, ApiError> {
    crate::knobs::reset(app.publisher.jetstream())
        .await
        .map_err(|error| unavailable("the knobs were not reset", &error))?;
    tracing::info!("knobs reset to the start-up defaults");
    Ok(axum::http::StatusCode::NO_CONTENT)
}

async fn list_waiting(State(app): State<AppState>) -> Result<Json<Vec<WaitingComment>>, ApiError> {
    waiting::list(app.publisher.jetstream())
        .await
        .map(Json)
        .map_err(|error| unavailable("the waiting list cannot be read", &error))
}

async fn decide(
    State(app): State<AppState>,
    IdParam(id): IdParam<CommentId>,
    JsonBody(decision): JsonBody<Decision>,
) -> Result<Json<Decision>, ApiError> {
    if decision.status == CommentStatus::Pending {
        return Err(ApiError::unprocessable(
            "a decision is \"approved\" or \"rejected\", not \"pending\"",
        ));
    }
    match waiting::decide(&app.publisher, id, decision.status).await {
        Ok(()) => Ok(Json(decision)),
        Err(Refused::NotWaiting) => Err(ApiError::not_found(format!(
            "comment {id} is not waiting for a decision"
        ))),
        Err(Refused::AlreadyDecided(status)) => Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            format!("comment {id} was already decided: {}", status_name(status)),
        )),
        Err(Refused::Broker(error)) => Err(unavailable("the decision was not stored", &error)),
    }
}

fn unavailable(what: &str, error: &anyhow::Error) -> ApiError {
    tracing::warn!(error = format!("{error:#}"), "{what}");
    ApiError::unavailable(format!("{what}: the broker cannot be reached ({error})"))
}

fn status_name(status: CommentStatus) -> &'static str {
    match status {
        CommentStatus::Pending => "pending",
        CommentStatus::Approved => "approved",
        CommentStatus::Rejected => "rejected",
    }
}
