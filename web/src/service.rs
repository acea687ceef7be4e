//! What every service's HTTP side has besides its own routes: a readiness gate in front of
//! them, and `/health`.
//!
//! A service describes itself once, by implementing [`ServiceState`] for its `AppState`;
//! [`app`] then wraps its routes: until the state says ready (its replay has caught up),
//! they answer 503 "starting" instead of an incomplete answer, while `/health` always
//! answers, 200 when ready and 503 with the reason when not. The same [`Health`] answers
//! the NATS status endpoint (see [`crate::shell`]).

use crate::error::ApiError;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// A service's shared state, as its HTTP plumbing needs to know it.
pub trait ServiceState: Clone + Send + Sync + 'static {
    /// The service's name: in `/health`, in the NATS services API, in its logs.
    const NAME: &'static str;

    /// Whether its own routes can answer yet.
    fn is_ready(&self) -> bool;

    /// What `/health` (and the NATS status endpoint) say.
    fn health(&self) -> Health;

    /// What the NATS services API's pings return about this instance (query names its
    /// instance there); nothing by default.
    fn metadata(&self) -> HashMap<String, String> {
        HashMap::new()
    }
}

/// A service's account of itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Health {
    pub ready: bool,
    /// A word or two: `ready`, `replaying`, `waiting for the broker`, …
    pub status: &'static str,
    /// Whatever else the service reports (`broker`, `appliedSequence`, counts).
    pub details: Map<String, Value>,
}

impl Health {
    /// `status`, and `details` — which must be a JSON object; anything else is dropped.
    pub fn new(ready: bool, status: &'static str, details: Value) -> Health {
        let details = match details {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        Health {
            ready,
            status,
            details,
        }
    }

    /// The JSON body: `{"service": …, "status": …, …details}`.
    pub fn to_json(&self, service: &str) -> Value {
        let mut body = self.details.clone();
        body.insert("service".into(), service.into());
        body.insert("status".into(), self.status.into());
        Value::Object(body)
    }

    /// 200 when ready, else 503.
    pub fn status_code(&self) -> StatusCode {
        match self.ready {
            true => StatusCode::OK,
            false => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// A service's whole router: `gated` routes answer only once the state is ready, `open`
/// routes always, plus `GET /health`, inside the middleware every service wants.
pub fn app<S: ServiceState>(state: S, gated: Router<S>, open: Router<S>) -> Router {
    // (axum refuses a route layer on a router without routes: moderation gates nothing.)
    let gated = match gated.has_routes() {
        true => gated.route_layer(middleware::from_fn_with_state(
            state.clone(),
            ready_gate::<S>,
        )),
        false => gated,
    };
    let routes = gated
        .merge(open)
        .route("/health", get(health::<S>))
        .with_state(state);
    crate::server::with_middleware(routes)
}

async fn ready_gate<S: ServiceState>(
    State(state): State<S>,
    request: Request,
    next: Next,
) -> Response {
    if !state.is_ready() {
        return ApiError::starting().into_response();
    }
    next.run(request).await
}

async fn health<S: ServiceState>(State(state): State<S>) -> (StatusCode, Json<Value>) {
    let health = state.health();
    (health.status_code(), Json(health.to_json(S::NAME)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use serde_json::json;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use tower::ServiceExt;

    #[derive(Clone, Default)]
    struct Flag(Arc<AtomicBool>);

    impl ServiceState for Flag {
        const NAME: &'static str = "example";
        fn is_ready(&self) -> bool {
            self.0.load(Ordering::Relaxed)
        }
        fn health(&self) -> Health {
            let ready = self.is_ready();
            let status = if ready { "ready" } else { "replaying" };
            Health::new(ready, status, json!({"things": 3}))
        }
    }

    async fn get(state: &Flag, uri: &str) -> (StatusCode, Value) {
        let gated = Router::new().route("/things", get_things());
        let open = Router::new().route("/open", axum::routing::get(|| async { "open" }));
        let request = Request::get(uri).body(Body::empty()).unwrap_or_default();
        let response = app(state.clone(), gated, open)
            .oneshot(request)
            .await
            .expect("the router answers");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap_or_default();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    fn get_things() -> axum::routing::MethodRouter<Flag> {
        axum::routing::get(|| async { Json(json!(["a thing"])) })
    }

    #[tokio::test]
    async fn gated_routes_answer_503_until_ready_and_health_says_why() {
        let state = Flag::default();
        let (status, body) = get(&state, "/things").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("starting"));
        let (status, _) = get(&state, "/open").await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = get(&state, "/health").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            body,
            json!({"service": "example", "status": "replaying", "things": 3})
        );

        state.0.store(true, Ordering::Relaxed);
        let (status, body) = get(&state, "/things").await;
        assert_eq!((status, body), (StatusCode::OK, json!(["a thing"])));
        let (status, body) = get(&state, "/health").await;
        assert_eq!((status, &body["status"]), (StatusCode::OK, &json!("ready")));
    }
}
