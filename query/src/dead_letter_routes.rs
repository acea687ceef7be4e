//! `POST /deadletters/{id}/retry` and `POST /deadletters/retry-all`: putting dead letters'
//! messages back into their streams.
//!
//! These are the only writes query answers, and any web page could aim a plain HTML form at
//! them: a browser sends such a "simple" cross-site request without asking anyone. Two
//! guards leave that to the web client alone:
//!
//! - the body must be JSON (`{}` will do). A form cannot send JSON, and a page whose script
//!   sends it makes the browser ask first (a CORS preflight), which only the configured
//!   origins pass (`FRONTEND_ORIGINS`, see `web::server`);
//! - a request whose `Origin` header names any other origin is refused with 403 before
//!   anything is retried. Tools like curl send no `Origin` and pass: they are not a browser
//!   that a foreign page could borrow.

use crate::dead_letters::{retry, RetryError};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use contract::api::{NotRetried, Retried, RetriedAll, RetryRequest};
use contract::views::DeadLetter;
use std::sync::Arc;
use web::{ApiError, JsonBody, PathParam};

/// The routes, guarded so that only `origins` (and non-browser clients) may call them;
/// `None` (`FRONTEND_ORIGINS=*`) lets every origin through.
pub fn routes(origins: Option<Vec<HeaderValue>>) -> Router<AppState> {
    let origins: Option<Arc<[HeaderValue]>> = origins.map(Into::into);
    Router::new()
        .route("/deadletters/{id}/retry", post(retry_one))
        .route("/deadletters/retry-all", post(retry_all))
        .route_layer(middleware::from_fn_with_state(origins, allowed_origin_only))
}

/// Refuses a request from a browser page of another origin.
async fn allowed_origin_only(
    State(allowed): State<Option<Arc<[HeaderValue]>>>,
    request: Request,
    next: Next,
) -> Response {
    let refused =
        |origin: &HeaderValue| allowed.as_ref().is_some_and(|list| !list.contains(origin));
    match request.headers().get(header::ORIGIN) {
        Some(origin) if refused(origin) => {
            let origin = String::from_utf8_lossy(origin.as_bytes());
            let message =
                format!("a page from {origin} may not retry dead letters (see FRONTEND_ORIGINS)");
            ApiError::new(StatusCode::FORBIDDEN, message).into_response()
        }
        _ => next.run(request).await,
    }
}

async fn retry_one(
    State(app): State<AppState>,
    PathParam(raw_id): PathParam<String>,
    JsonBody(_): JsonBody<RetryRequest>,
) -> Result<(StatusCode, Json<Retried>), ApiError> {
    let unknown = || ApiError::not_found(format!("there is no dead letter {raw_id:?}"));
    let id: u64 = raw_id.parse().map_err(|_| unknown())?;
    let letter = app
        .dead_letters
        .read()
        .get(id)
        .cloned()
        .ok_or_else(unknown)?;
    match retry(&app.retries, &letter).await {
        Ok(sequence) => Ok((StatusCode::ACCEPTED, Json(retried(&letter, sequence)))),
        Err(error) => Err(api_error(error)),
    }
}

/// Retries every letter not retried yet, oldest first. 202 with what was retried and what
/// was not; 503 if the broker is away before anything could be retried.
async fn retry_all(
    State(app): State<AppState>,
    JsonBody(_): JsonBody<RetryRequest>,
) -> Result<(StatusCode, Json<RetriedAll>), ApiError> {
    let letters = app.dead_letters.read().unretried();
    let mut answer = RetriedAll {
        retried: Vec::new(),
        failed: Vec::new(),
    };
    for letter in letters {
        match retry(&app.retries, &letter).await {
            Ok(sequence) => answer.retried.push(retried(&letter, sequence)),
            Err(error) if error.is_unavailable() && answer.retried.is_empty() => {
                return Err(api_error(error));
            }
            Err(error) => answer.failed.push(NotRetried {
                dead_letter: letter.id,
                error: error.to_string(),
            }),
        }
    }
    Ok((StatusCode::ACCEPTED, Json(answer)))
}

fn retried(letter: &DeadLetter, sequence: u64) -> Retried {
    Retried {
        dead_letter: letter.id,
        stream: letter.stream.clone(),
        republished_sequence: sequence,
    }
}

/// The answer for a failed retry, in our words; the cause chain goes to the log.
fn api_error(error: RetryError) -> ApiError {
    tracing::warn!(
        error = format!("{}", bus::consume::cause_chain(&error)),
        "retry failed"
    );
    match error {
        RetryError::Gone(_) => ApiError::new(StatusCode::GONE, error.to_string()),
        _ => ApiError::unavailable(format!("{error}; nothing was retried, try again shortly")),
    }
}
