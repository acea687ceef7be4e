//! Extractors for the parts of a request other than the JSON body, with rejections in the
//! same `{"error": ...}` shape as everything else.

use crate::error::ApiError;
use crate::server::IDEMPOTENCY_KEY;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use bus::{CommentId, PostId};
use serde::de::DeserializeOwned;
use std::str::FromStr;

/// A path parameter. axum's own `Path` answers a segment that is not valid UTF-8 (or does
/// not parse) with plain text; this answers JSON.
pub struct PathParam<T>(pub T);

impl<S, T> FromRequestParts<S> for PathParam<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(PathParam(value)),
            Err(rejection) => Err(ApiError::new(rejection.status(), rejection.body_text())),
        }
    }
}

/// An entity a path can name by id, and the noun its 404 uses.
pub trait Entity: FromStr + Send {
    const NOUN: &'static str;
}

impl Entity for PostId {
    const NOUN: &'static str = "post";
}

impl Entity for CommentId {
    const NOUN: &'static str = "comment";
}

/// The answer for an id that names nothing: 404, in the same words whether the id was
/// malformed or simply unknown (a client cannot tell a typo from a deleted thing anyway).
pub fn no_such<T: Entity>(raw_id: &str) -> ApiError {
    ApiError::not_found(format!("there is no {} with id {raw_id:?}", T::NOUN))
}

/// An entity's id from the path (`/posts/{id}`): one that does not parse is a 404, like an
/// id nobody has, rather than a 400 — the path names a thing that does not exist.
pub struct IdParam<T>(pub T);

impl<S, T> FromRequestParts<S> for IdParam<T>
where
    T: Entity,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let PathParam(raw) = PathParam::<String>::from_request_parts(parts, state).await?;
        raw.parse().map(IdParam).map_err(|_| no_such::<T>(&raw))
    }
}

/// The client's `Idempotency-Key` header, if it sent one: 1 to 100 visible ASCII
/// characters. Sending the same key again asks for the same write, not a second one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(pub Option<String>);

impl IdempotencyKey {
    pub const MAX_LEN: usize = 100;

    /// Checks a header value: visible ASCII only (`!` to `~`), 1 to 100 of them.
    pub fn parse(raw: &[u8]) -> Result<String, String> {
        if raw.is_empty() || raw.len() > Self::MAX_LEN {
            return Err(format!(
                "Idempotency-Key must be 1 to {} characters, not {}",
                Self::MAX_LEN,
                raw.len()
            ));
        }
        if !raw.iter().all(|b| (b'!'..=b'~').contains(b)) {
            return Err("Idempotency-Key must be visible ASCII characters (no spaces)".into());
        }
        // All bytes are ASCII, so this cannot fail.
        Ok(String::from_utf8_lossy(raw).into_owned())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let mut values = parts.headers.get_all(IDEMPOTENCY_KEY).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return match parts.headers.contains_key(IDEMPOTENCY_KEY) {
                true => Err(ApiError::bad_request(
                    "send one Idempotency-Key header, not several",
                )),
                false => Ok(IdempotencyKey(None)),
            };
        };
        IdempotencyKey::parse(value.as_bytes())
            .map(|key| IdempotencyKey(Some(key)))
            .map_err(ApiError::bad_request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_1_to_100_visible_ascii_characters() {
        assert_eq!(
            IdempotencyKey::parse(b"abc-123_~!").as_deref(),
            Ok("abc-123_~!")
        );
        assert!(IdempotencyKey::parse(&[b'x'; 100]).is_ok());
        assert!(IdempotencyKey::parse(&[b'x'; 101]).is_err());
        assert!(IdempotencyKey::parse(b"").is_err());
        assert!(IdempotencyKey::parse(b"has space").is_err());
        assert!(IdempotencyKey::parse("caf\u{e9}".as_bytes()).is_err());
        assert!(IdempotencyKey::parse(b"tab\there").is_err());
    }
}
