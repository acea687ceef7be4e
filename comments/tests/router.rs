//! Every route's status codes and error bodies, through the router alone (`oneshot`): no
//! broker runs here. What needs one (a stored comment, a decision) is in `system-tests`.

use axum::http::StatusCode;
use axum::Router;
use bus::Publisher;
use comments::routes::router;
use comments::state::AppState;
use serde_json::json;
use web::testing::{call, error_of, get, post_json};

const SOME_POST: &str = "/posts/0190f7a2-5b1c-7d3e-8f00-000000000001/comments";

async fn app(ready: bool) -> Router {
    let state = AppState::new(Publisher::new(bus::testing::client_without_broker().await));
    if ready {
        state.progress.mark_caught_up();
    }
    router(state)
}

#[tokio::test]
async fn while_replaying_the_comment_routes_are_a_503_starting() {
    let (status, body) = call(app(false).await, get(SOME_POST)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(error_of(&body).contains("starting"), "{body}");
    let (status, body) = call(app(false).await, get("/health")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        (&body["service"], &body["status"]),
        (&json!("comments"), &json!("replaying"))
    );
}

#[tokio::test]
async fn a_malformed_post_id_names_no_post_404() {
    for uri in ["/posts/not-a-uuid/comments", "/posts/12345/comments"] {
        let (status, body) = call(app(true).await, get(uri)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}: {body}");
        assert!(error_of(&body).contains("there is no post"), "{body}");
        let create = post_json(uri, r#"{"content":"hi"}"#);
        let (status, _) = call(app(true).await, create).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
    }
}

#[tokio::test]
async fn bad_content_is_a_422_before_the_post_is_even_looked_up() {
    let too_long = format!(r#"{{"content":"{}"}}"#, "x".repeat(10_000));
    for content in [r#"{"content":""}"#, too_long.as_str()] {
        let (status, body) = call(app(true).await, post_json(SOME_POST, content)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(!error_of(&body).is_empty(), "{body}");
    }
}

#[tokio::test]
async fn when_the_post_cannot_be_looked_up_the_answer_is_a_503() {
    let (status, body) = call(app(true).await, get(SOME_POST)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let create = post_json(SOME_POST, r#"{"content":"hi"}"#);
    let (status, body) = call(app(true).await, create).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(error_of(&body).contains("try again"), "{body}");
}
