//! Moderation's one route, through the router alone (`oneshot`), with no broker running.

use axum::http::StatusCode;
use bus::progress::Progress;
use bus::Publisher;
use moderation::routes::router;
use moderation::state::AppState;
use serde_json::json;
use web::testing::{call, get};

#[tokio::test]
async fn without_the_broker_health_is_a_503_that_says_so() {
    let state = AppState {
        publisher: Publisher::new(bus::testing::client_without_broker().await),
        reading: Progress::new(),
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
