//! Moderation's only route: `GET /health`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use bus::Publisher;
use serde_json::{json, Value};

pub fn router(publisher: Publisher) -> Router {
    web::server::with_middleware(Router::new().route("/health", get(health)).with_state(publisher))
}

async fn health(State(publisher): State<Publisher>) -> (StatusCode, Json<Value>) {
    let (status, body) = status(&publisher);
    (status, Json(body))
}

/// The service's state, for `/health` and the NATS status endpoint.
pub fn status(publisher: &Publisher) -> (StatusCode, Value) {
    let connected = publisher.is_connected();
    let status = if connected { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({
        "service": "moderation",
        "status": if connected { "ready" } else { "waiting for the broker" },
        "broker": if connected { "connected" } else { "disconnected" },
    });
    (status, body)
}
