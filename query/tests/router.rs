//! Every route's status codes and error bodies, through the router alone (`oneshot`), with
//! no broker running. What needs one (a replayed model, a real retry) is in `system-tests`.

use async_nats::jetstream;
use axum::http::StatusCode;
use axum::Router;
use query::routes::router;
use query::state::AppState;
use query::Settings;
use serde_json::json;
use web::testing::{call, error_of, get, request};
use web::ServiceSettings;

const SOME_ID: &str = "0190f7a2-5b1c-7d3e-8f00-000000000001";

async fn state() -> AppState {
    let js = jetstream::new(bus::testing::client_without_broker().await);
    let bus = bus::BusConfig::single("nats://127.0.0.1:1", "query");
    let settings = Settings::for_test(ServiceSettings::for_test(bus));
    AppState::new(js.clone(), js, "query".into(), &settings)
}

/// As if every stream's replay had caught up (on empty streams).
async fn ready_state() -> AppState {
    let state = state().await;
    for (_, progress) in &state.progress {
        progress.mark_caught_up();
    }
    state
}

async fn app(ready: bool) -> Router {
    router(if ready {
        ready_state().await
    } else {
        state().await
    })
}

#[tokio::test]
async fn while_replaying_the_read_model_routes_are_a_503_starting() {
    let post = format!("/posts/{SOME_ID}");
    let timeline = format!("/comments/{SOME_ID}/timeline");
    for uri in ["/posts", post.as_str(), timeline.as_str()] {
        let (status, body) = call(app(false).await, get(uri)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{uri}: {body}");
        assert!(error_of(&body).contains("starting"), "{uri}: {body}");
    }
    let (status, body) = call(app(false).await, get("/health")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        (&body["service"], &body["status"], &body["posts"]),
        (&json!("query"), &json!("replaying"), &json!(0))
    );
    assert_eq!(
        body["streams"]["COMMENTS"]["caughtUp"],
        json!(false),
        "{body}"
    );
}

#[tokio::test]
async fn once_ready_unknown_or_malformed_ids_are_json_404s() {
    let (status, body) = call(app(true).await, get("/posts")).await;
    assert_eq!((status, body), (StatusCode::OK, json!([])));
    for (uri, noun) in [
        (format!("/posts/{SOME_ID}"), "post"),
        ("/posts/not-an-id".to_owned(), "post"),
        (format!("/comments/{SOME_ID}/timeline"), "comment"),
        ("/comments/42/timeline".to_owned(), "comment"),
    ] {
        let (status, body) = call(app(true).await, get(&uri)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}: {body}");
        assert!(
            error_of(&body).contains(&format!("there is no {noun}")),
            "{body}"
        );
    }
    let (status, body) = call(app(true).await, get("/health")).await;
    assert_eq!((status, &body["status"]), (StatusCode::OK, &json!("ready")));
}

#[tokio::test]
async fn the_system_view_is_a_503_before_querys_first_look() {
    let (status, body) = call(app(true).await, get("/system")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(error_of(&body).contains("first look"), "{body}");
}

#[tokio::test]
async fn a_retry_wants_json_from_an_allowed_origin_and_a_known_letter() {
    // No JSON body: a plain HTML form could send that.
    let form = request(
        "POST",
        "/deadletters/retry-all",
        None,
        &[("content-type", "application/x-www-form-urlencoded")],
    );
    let (status, body) = call(app(true).await, form).await;
    assert!(status.is_client_error(), "{status}: {body}");
    assert!(!error_of(&body).is_empty(), "{body}");
    // A page of another origin.
    let foreign = request(
        "POST",
        "/deadletters/retry-all",
        Some("{}"),
        &[("origin", "http://evil.example")],
    );
    let (status, body) = call(app(true).await, foreign).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // A letter nobody has.
    for id in ["7", "seven"] {
        let retry = request("POST", &format!("/deadletters/{id}/retry"), Some("{}"), &[]);
        let (status, body) = call(app(true).await, retry).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id}: {body}");
    }
    // Nothing to retry: an empty answer, not an error.
    let all = request("POST", "/deadletters/retry-all", Some("{}"), &[]);
    let (status, body) = call(app(true).await, all).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body, json!({"retried": [], "failed": []}));
}

#[tokio::test]
async fn live_streams_are_bounded_per_instance() {
    let full = {
        let state = ready_state().await;
        // Take every place: the next live client is turned away with a JSON 503.
        let permits = state.live_clients.available_permits() as u32;
        let _taken = state.live_clients.clone().try_acquire_many_owned(permits);
        let (status, body) = call(router(state.clone()), get("/posts/events")).await;
        (status, body)
    };
    assert_eq!(full.0, StatusCode::SERVICE_UNAVAILABLE, "{}", full.1);
    assert!(error_of(&full.1).contains("live connections"), "{}", full.1);
}
