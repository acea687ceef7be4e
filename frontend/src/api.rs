//! Typed calls to the write side: posts and comments. (Reads of the posts never come from
//! here: they arrive from query as live events, see [`crate::live`].) The recovery lab's
//! calls to query — a comment's timeline, retrying a dead letter — are in [`lab`].
//!
//! The services are on other origins, so these are cross-origin requests; the services
//! allow the frontend's origin through CORS.
//!
//! Every write carries an `Idempotency-Key` (one per submit, reused when that submit is
//! retried: see [`crate::model::submit_key`]), so "try again" after an unknown outcome can
//! never write twice.

pub mod lab;

use crate::config::Config;
use gloo_net::http::{Request, Response};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::fmt;

/// The posts service's answer to a created post.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct CreatedPost {
    pub id: String,
    pub title: String,
}

/// The comments service's answer to a created comment (always pending at first).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedComment {
    pub id: String,
    pub post_id: String,
    pub content: String,
}

/// Why a write did not happen, worded for the person who typed it.
#[derive(Clone, Debug, PartialEq)]
pub enum WriteError {
    /// No answer at all: the service is down, or the browser refused the answer.
    Unreachable { service: &'static str },
    /// An answer with an error status, and the service's own `{"error": "..."}` if it sent one.
    Refused {
        service: &'static str,
        status: u16,
        message: Option<String>,
    },
    /// A success status with a body that is not what the contract says.
    Unreadable { service: &'static str },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const KEPT: &str = "Your text is kept: try again in a moment.";
        match self {
            WriteError::Unreachable { service } => {
                write!(
                    f,
                    "Could not reach the {service} service; it may be down. {KEPT}"
                )
            }
            WriteError::Refused {
                service,
                status: 503,
                message,
            } => {
                let why = message
                    .as_deref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default();
                write!(
                    f,
                    "The {service} service is unavailable right now{why}. {KEPT}"
                )
            }
            WriteError::Refused {
                service,
                status,
                message,
            } => match message {
                Some(m) => write!(
                    f,
                    "The {service} service did not accept this: {}",
                    sentence(m)
                ),
                None => write!(
                    f,
                    "The {service} service answered with an error ({status}). {KEPT}"
                ),
            },
            WriteError::Unreadable { service } => write!(
                f,
                "The {service} service answered in a way this page does not understand. {KEPT}"
            ),
        }
    }
}

/// The services' messages are lowercase fragments ("title must not be empty").
fn sentence(message: &str) -> String {
    let mut chars = message.trim().chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.extend(chars);
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

pub async fn create_post(
    config: &Config,
    title: &str,
    key: &str,
) -> Result<CreatedPost, WriteError> {
    #[derive(Serialize)]
    struct Body<'a> {
        title: &'a str,
    }
    let url = format!("{}/posts", config.posts);
    post_json("posts", &url, key, &Body { title }).await
}

pub async fn create_comment(
    config: &Config,
    post_id: &str,
    content: &str,
    key: &str,
) -> Result<CreatedComment, WriteError> {
    #[derive(Serialize)]
    struct Body<'a> {
        content: &'a str,
    }
    // Ids are uuids, but the path segment is still encoded: it came over the network.
    let post = encode_segment(post_id);
    let url = format!("{}/posts/{post}/comments", config.comments);
    post_json("comments", &url, key, &Body { content }).await
}

async fn post_json<B: Serialize, T: DeserializeOwned>(
    service: &'static str,
    url: &str,
    key: &str,
    body: &B,
) -> Result<T, WriteError> {
    let request = Request::post(url)
        .header("Idempotency-Key", key)
        .json(body)
        .map_err(|_| WriteError::Unreadable { service })?;
    // A network failure and a CORS refusal look the same from here: no response at all.
    let response = request
        .send()
        .await
        .map_err(|_| WriteError::Unreachable { service })?;
    if response.ok() {
        response
            .json::<T>()
            .await
            .map_err(|_| WriteError::Unreadable { service })
    } else {
        Err(refusal(service, response).await)
    }
}

/// A fresh idempotency key: a random uuid, from the browser's cryptographic random
/// numbers (`crypto.getRandomValues`, which unlike `crypto.randomUUID` also works on a
/// plain-http address other than localhost).
pub fn fresh_key() -> String {
    let mut bytes = [0u8; 16];
    let crypto = web_sys::window().and_then(|w| w.crypto().ok());
    let filled = crypto.is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        // No crypto at all (a very old browser): weaker, but still unique enough for one
        // user's submits.
        for byte in &mut bytes {
            *byte = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    crate::model::submit_key::uuid_v4(bytes)
}

/// Every service's error answer: `{"error": "..."}`.
#[derive(Deserialize)]
struct ErrorBody {
    error: String,
}

async fn refusal(service: &'static str, response: Response) -> WriteError {
    let status = response.status();
    let message = response.json::<ErrorBody>().await.ok().map(|b| b.error);
    WriteError::Refused {
        service,
        status,
        message,
    }
}

/// Percent-encodes a path segment (everything but unreserved characters).
fn encode_segment(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_down_service_is_named_and_the_text_is_said_to_be_kept() {
        let text = WriteError::Unreachable { service: "posts" }.to_string();
        assert_eq!(
            text,
            "Could not reach the posts service; it may be down. Your text is kept: try again in a moment."
        );
    }

    #[test]
    fn a_503_says_unavailable_with_the_reason() {
        let err = WriteError::Refused {
            service: "comments",
            status: 503,
            message: Some("the broker is unavailable".into()),
        };
        assert_eq!(
            err.to_string(),
            "The comments service is unavailable right now (the broker is unavailable). Your text is kept: try again in a moment."
        );
    }

    #[test]
    fn a_refusal_shows_the_services_message_as_a_sentence() {
        let err = WriteError::Refused {
            service: "posts",
            status: 422,
            message: Some("title must not be empty".into()),
        };
        assert_eq!(
            err.to_string(),
            "The posts service did not accept this: Title must not be empty."
        );
        let bare = WriteError::Refused {
            service: "posts",
            status: 500,
            message: None,
        };
        assert!(bare.to_string().contains("(500)"));
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(encode_segment("0190-ab_c.~"), "0190-ab_c.~");
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn created_comment_reads_the_camel_case_contract() {
        let json = r#"{"id":"c1","postId":"p1","content":"hi","status":"pending"}"#;
        let c: CreatedComment = serde_json::from_str(json).expect("valid");
        assert_eq!((c.id.as_str(), c.post_id.as_str()), ("c1", "p1"));
    }
}
