//! Moderation's only route: `GET /health`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use bus::progress::Progress;
use bus::Publisher;
use serde_json::{json, Value};

#[derive(Clone)]
pub struct AppState {
    pub publisher: Publisher,
    /// Whether the consumer of new comments can read.
    pub reading: Progress,
}

pub fn router(state: AppState) -> Router {
    web::server::with_middleware(
        Router::new()
            .route("/health", get(health))
            .with_state(state),
    )
}

async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let (status, body) = status(&state);
    (status, Json(body))
}

/// The service's state, for `/health` and the NATS status endpoint.
pub fn status(state: &AppState) -> (StatusCode, Value) {
    let connected = state.publisher.is_connected();
    let reading = state.reading.is_reading();
    let ready = connected && reading;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "service": "moderation",
        "status": match (connected, reading) {
            (true, true) => "ready",
            (false, _) => "waiting for the broker",
            (true, false) => "cannot read its consumer",
        },
        "broker": if connected { "connected" } else { "disconnected" },
    });
    (status, body)
}
