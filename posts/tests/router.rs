//! Every route's status codes and error bodies, through the router alone (`oneshot`): no
//! broker runs here, so these need none of the system tests' setup. What needs a broker
//! (a stored post, a replay) is proved in `system-tests`.

use axum::http::StatusCode;
use axum::Router;
use bus::Publisher;
use posts::routes::router;
use posts::state::AppState;
use serde_json::json;
use web::testing::{call, error_of, get, post_json, request};

/// Posts' router on a state whose broker is unreachable; `ready` as if the replay had
/// caught up (with an empty stream).
async fn app(ready: bool) -> Router {
    let state = AppState::new(Publisher::new(bus::testing::client_without_broker().await));
    if ready {
        state.progress.mark_caught_up();
    }
    router(state)
}

#[tokio::test]
async fn while_replaying_every_route_but_health_is_a_503_starting() {
    let (status, body) = call(app(false).await, get("/posts")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(error_of(&body).contains("starting"), "{body}");
    let create = post_json("/posts", r#"{"title":"t"}"#);
    let (status, _) = call(app(false).await, create).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (status, body) = call(app(false).await, get("/health")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        (&body["service"], &body["status"], &body["broker"]),
        (&json!("posts"), &json!("replaying"), &json!("disconnected"))
    );
}

#[tokio::test]
async fn once_ready_the_list_answers_and_health_says_ready() {
    let (status, body) = call(app(true).await, get("/posts")).await;
    assert_eq!((status, body), (StatusCode::OK, json!([])));
    let (status, body) = call(app(true).await, get("/health")).await;
    assert_eq!((status, &body["status"]), (StatusCode::OK, &json!("ready")));
}

#[tokio::test]
async fn a_bad_title_is_a_json_422_and_bad_json_a_json_4xx() {
    for title in [r#"{"title":""}"#, r#"{"title":"   "}"#] {
        let (status, body) = call(app(true).await, post_json("/posts", title)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{title}: {body}");
        assert!(!error_of(&body).is_empty(), "{body}");
    }
    for bad in ["{", r#"{"name":"x"}"#, r#"{"title":3}"#] {
        let (status, body) = call(app(true).await, post_json("/posts", bad)).await;
        assert!(status.is_client_error(), "{bad}: {status}");
        assert!(!error_of(&body).is_empty(), "{bad}: {body}");
    }
}

#[tokio::test]
async fn a_write_without_the_broker_is_a_503_that_says_nothing_was_written() {
    let create = post_json("/posts", r#"{"title":"hello"}"#);
    let (status, body) = call(app(true).await, create).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(error_of(&body).contains("nothing was written"), "{body}");
    // Our words only: the client library's own error text stays in the log.
    assert!(!error_of(&body).contains('('), "{body}");
}

#[tokio::test]
async fn unknown_routes_wrong_methods_and_bad_keys_answer_json() {
    let (status, body) = call(app(true).await, get("/nowhere")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let delete = request("DELETE", "/posts", None, &[]);
    let (status, body) = call(app(true).await, delete).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    let keyed = request(
        "POST",
        "/posts",
        Some(r#"{"title":"t"}"#),
        &[("idempotency-key", "has space")],
    );
    let (status, body) = call(app(true).await, keyed).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(error_of(&body).contains("Idempotency-Key"), "{body}");
}
