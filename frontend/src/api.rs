//! Typed calls to the services, apart from the components that use them: the writes to
//! posts and comments, and the pages of older posts and comments, here; the recovery lab's
//! calls to query in [`lab`]. (The first page of posts and the system view never come from
//! here: they arrive from query as live events, see [`crate::live`].) Every call fails with
//! the one [`ApiError`], worded in [`error`].
//!
//! The services are on other origins, so these are cross-origin requests; the services
//! allow the frontend's origin through CORS.
//!
//! Every write carries an `Idempotency-Key` (one per submit, reused when that submit is
//! retried: see [`crate::model::submit_key`]), so "try again" after an unknown outcome can
//! never write twice.

pub mod console;
pub mod error;
pub mod lab;

pub use error::{ApiError, Call, Failure};

use crate::config::Config;
use contract::api::{ErrorBody, NewComment, NewPost};
use gloo_net::http::{Request, Response};
use serde::{de::DeserializeOwned, Serialize};

/// The services' answers to a created post and comment (pending at first): the wire
/// contract's shapes.
pub use contract::api::{Comment as CreatedComment, Post as CreatedPost};

/// Query's pages: the wire contract's shapes.
pub use contract::views::{PagedPost, PostsPage};

/// `POST {posts}/posts` with the submit's idempotency key.
pub async fn create_post(config: &Config, title: &str, key: &str) -> Result<CreatedPost, ApiError> {
    let url = format!("{}/posts", config.posts);
    let body = NewPost {
        title: title.to_owned(),
    };
    let request = json_post(Call::CreatePost, &url, Some(key), &body)?;
    send(Call::CreatePost, request).await
}

/// `POST {comments}/posts/{id}/comments` with the submit's idempotency key.
pub async fn create_comment(
    config: &Config,
    post_id: &str,
    content: &str,
    key: &str,
) -> Result<CreatedComment, ApiError> {
    // Ids are uuids, but the path segment is still encoded: it came over the network.
    let post = encode_segment(post_id);
    let url = format!("{}/posts/{post}/comments", config.comments);
    let body = NewComment {
        content: content.to_owned(),
    };
    let request = json_post(Call::CreateComment, &url, Some(key), &body)?;
    send(Call::CreateComment, request).await
}

/// How many posts (or older comments) one page brings.
pub const PAGE: usize = 20;

/// `GET {query}/posts?limit=&after=`: the page of posts older than `after`, newest first.
pub async fn older_posts(config: &Config, after: &str) -> Result<PostsPage, ApiError> {
    let after = encode_segment(after);
    let url = format!("{}/posts?limit={PAGE}&after={after}", config.query);
    send(Call::Page, get(Call::Page, &url)?).await
}

/// `GET {query}/posts/{id}?limit=&before=`: the post with its comments older than `before`.
pub async fn older_comments(
    config: &Config,
    post_id: &str,
    before: &str,
) -> Result<PagedPost, ApiError> {
    let (post, before) = (encode_segment(post_id), encode_segment(before));
    let url = format!("{}/posts/{post}?limit={PAGE}&before={before}", config.query);
    send(Call::Page, get(Call::Page, &url)?).await
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

// ---------------------------------------------------------------------------------------
// The plumbing every call shares: build, send, read the answer or the error.

/// A POST with a JSON body, and an `Idempotency-Key` when the call is a write.
fn json_post<B: Serialize>(
    call: Call,
    url: &str,
    key: Option<&str>,
    body: &B,
) -> Result<Request, ApiError> {
    let builder = Request::post(url);
    let builder = match key {
        Some(key) => builder.header("Idempotency-Key", key),
        None => builder,
    };
    builder
        .json(body)
        .map_err(|_| ApiError::new(call, Failure::Unreadable))
}

/// A plain GET.
fn get(call: Call, url: &str) -> Result<Request, ApiError> {
    Request::get(url)
        .build()
        .map_err(|_| ApiError::new(call, Failure::Unreadable))
}

/// Sends `request` and reads a success answer as `T`, or the error answer into an
/// [`ApiError`].
async fn send<T: DeserializeOwned>(call: Call, request: Request) -> Result<T, ApiError> {
    let response = request
        .send()
        .await
        .map_err(|_| ApiError::new(call, Failure::Unreachable))?;
    if response.ok() {
        response
            .json::<T>()
            .await
            .map_err(|_| ApiError::new(call, Failure::Unreadable))
    } else {
        Err(refusal(call, response).await)
    }
}

async fn refusal(call: Call, response: Response) -> ApiError {
    let status = response.status();
    let message = response.json::<ErrorBody>().await.ok().map(|b| b.error);
    ApiError::new(call, Failure::Refused { status, message })
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
    fn path_segments_are_encoded() {
        assert_eq!(encode_segment("0190-ab_c.~"), "0190-ab_c.~");
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn created_comment_reads_the_camel_case_contract() {
        let (c1, p1) = (
            "01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c01",
            "01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c02",
        );
        let json = format!(r#"{{"id":"{c1}","postId":"{p1}","content":"hi","status":"pending"}}"#);
        let c: CreatedComment = serde_json::from_str(&json).expect("valid");
        assert_eq!(
            (c.id.to_string(), c.post_id.to_string()),
            (c1.into(), p1.into())
        );
    }
}
