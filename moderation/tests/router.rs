//! Moderation's routes, through the router alone (`oneshot`), with no broker running.

use axum::http::StatusCode;
use bus::progress::Progress;
use bus::Publisher;
use moderation::routes::router;
use moderation::state::AppState;
use serde_json::json;
use web::testing::{call, error_of, get, post_json, request};

/// The start-up knobs, as a service without a broker holds them.
fn knobs() -> moderation::knobs::Live {
    let defaults = contract::lab::ModerationKnobs::default();
    // The sender is dropped at once: a receiver still reads the last value.
    let (_sender, live) =
        moderation::knobs::channel(moderation::knobs::Applied::new(defaults, None, false));
    live
}

#[tokio::test]
async fn without_the_broker_health_is_a_503_that_says_so() {
    let state = AppState {
        publisher: Publisher::new(bus::testing::client_without_broker().await),
        reading: Progress::new(),
        knobs: knobs(),
    };
    let (status, body) = call(router(state.clone()), get("/health")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        body,
        json!({"service": "moderation", "status": "waiting for the broker",
               "broker": "disconnected"})
    );
    let (status, body) = call(router(state), get("/posts")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body["error"].is_string(), "{body}");
}

async fn state() -> AppState {
    AppState {
        publisher: Publisher::new(bus::testing::client_without_broker().await),
        reading: Progress::new(),
        knobs: knobs(),
    }
}

#[tokio::test]
async fn the_knobs_in_force_are_shown_and_bad_ones_are_refused_before_the_broker_is_asked() {
    let app = router(state().await);
    let (status, body) = call(app.clone(), get("/knobs")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["revision"], serde_json::Value::Null);
    assert_eq!(body["knobs"]["rejectWords"], json!(["orange"]));
    for (bad, expected) in [
        (r#"{"concurrency": 0}"#, StatusCode::UNPROCESSABLE_ENTITY),
        (r#"{"rejectWords": [""]}"#, StatusCode::UNPROCESSABLE_ENTITY),
        (r#"{"delay": 5}"#, StatusCode::UNPROCESSABLE_ENTITY),
        ("{not json", StatusCode::BAD_REQUEST),
    ] {
        let (status, body) = call(app.clone(), request("PUT", "/knobs", Some(bad), &[])).await;
        assert_eq!(status, expected, "{bad}: {body}");
        assert!(!error_of(&body).is_empty(), "{bad}: {body}");
    }
    // Good knobs need the broker to be stored: without it, a 503 that says so.
    let good = r#"{"delayMs": 100}"#;
    let (status, body) = call(app, request("PUT", "/knobs", Some(good), &[])).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(error_of(&body).contains("broker"), "{body}");
}

#[tokio::test]
async fn a_decision_must_be_approved_or_rejected_on_a_comment_id() {
    let app = router(state().await);
    let id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    let uri = format!("/waiting/{id}/decision");
    let (status, body) = call(app.clone(), post_json(&uri, r#"{"status": "pending"}"#)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = call(app.clone(), post_json(&uri, r#"{"status": "maybe"}"#)).await;
    assert!(status.is_client_error(), "{status} {body}");
    let (status, body) = call(
        app.clone(),
        post_json("/waiting/nope/decision", r#"{"status": "approved"}"#),
    )
    .await;
    // (As everywhere here: an id that cannot exist is a comment that does not exist.)
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = call(app.clone(), post_json(&uri, r#"{"status": "approved"}"#)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let (status, body) = call(app, get("/waiting")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
}
