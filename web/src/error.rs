//! The error every route returns. Users get a clear message; internals stay in the log.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bus::PublishError;
use serde_json::json;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn unprocessable(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    pub fn unavailable(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }

    /// The answer while a service is still replaying its stream at startup.
    pub fn starting() -> ApiError {
        Self::unavailable("the service is starting: it is still replaying its event stream")
    }
}

/// A failed publish is a 503 whose body says, in our words, whether anything may have been
/// written. The client library's own text goes to the log only (`{:#}` prints the chain).
impl From<PublishError> for ApiError {
    fn from(error: PublishError) -> ApiError {
        tracing::warn!(error = format!("{error:#}"), "publish failed");
        if error.nothing_written() {
            return ApiError::unavailable(format!(
                "{error}; nothing was written, try again shortly"
            ));
        }
        // Honest about the one case at-least-once publishing cannot settle.
        ApiError::unavailable(format!(
            "{error}; it may still be stored once the broker is back: retry with the same \
             Idempotency-Key, or look before retrying"
        ))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}
