//! A JSON body extractor whose rejections are JSON errors too.
//!
//! axum's own `Json` answers a bad body with a plain-text message. Wrapping it keeps the
//! status codes axum picks (400 malformed, 413 too large, 415 wrong content type, 422 a
//! field missing or of the wrong type) but answers in the same `{"error": ...}` shape as
//! every other error.

use crate::error::ApiError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::Json;
use serde::de::DeserializeOwned;

pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(rejection_to_error(rejection)),
        }
    }
}

fn rejection_to_error(rejection: JsonRejection) -> ApiError {
    let message = match &rejection {
        JsonRejection::BytesRejection(_) if rejection.status() == 413 => {
            format!(
                "the request body is over the {} byte limit",
                crate::server::BODY_LIMIT
            )
        }
        _ => rejection.body_text(),
    };
    ApiError::new(rejection.status(), message)
}
