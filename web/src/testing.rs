//! Router tests' few tools (feature `testing`): build a request, send it through a router
//! with `oneshot` — no socket, no broker — and read the status and the JSON body.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use serde_json::Value;
use tower::ServiceExt;

/// Sends `request` through `router`; the body as JSON (`Null` if it is not JSON).
pub async fn call(router: Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = router.oneshot(request).await.expect("the router answers");
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

pub fn get(uri: &str) -> Request<Body> {
    request("GET", uri, None, &[])
}

/// A POST with a JSON body.
pub fn post_json(uri: &str, body: &str) -> Request<Body> {
    request("POST", uri, Some(body), &[])
}

/// Any request; a `body` is sent as JSON.
pub fn request(
    method: &str,
    uri: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    if body.is_some() {
        builder = builder.header("content-type", "application/json");
    }
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_owned()));
    builder.body(body).expect("a well-formed test request")
}

/// The `error` of a JSON error body, or "" if there is none.
pub fn error_of(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_default()
}
