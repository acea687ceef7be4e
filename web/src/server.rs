//! Serving a router: one place for the middleware every service wants and for the graceful
//! stop.

use axum::extract::DefaultBodyLimit;
use axum::Router;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use axum::http::{header, HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

/// The largest request body any service accepts: 16 KiB is far more than a title or a
/// comment needs, and small enough that nobody can make a service buffer megabytes.
pub const BODY_LIMIT: usize = 16 * 1024;

/// Binds `host:port`. Port 0 picks a free port (tests do that); ask the listener which.
pub async fn bind(host: &str, port: u16) -> std::io::Result<(TcpListener, u16)> {
    let listener = TcpListener::bind((host, port)).await?;
    let port = listener.local_addr().map(|a: SocketAddr| a.port())?;
    Ok((listener, port))
}

/// Adds the body limit, CORS for the web client, and request tracing to `router`.
pub fn with_middleware(router: Router) -> Router {
    router
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(cors())
        .layer(TraceLayer::new_for_http())
}

/// The web client is served from its own origin (port 3000) and calls the services
/// directly, so the browser needs CORS permission — for that origin only, not for every
/// page on the web. `FRONTEND_ORIGINS` (comma separated) overrides the default.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(frontend_origins()))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, HeaderName::from_static("idempotency-key")])
}

/// The origins the web client is served from (`FRONTEND_ORIGINS`, comma separated).
pub fn frontend_origins() -> Vec<HeaderValue> {
    let origins = std::env::var("FRONTEND_ORIGINS")
        .unwrap_or_else(|_| "http://127.0.0.1:3000,http://localhost:3000".into());
    origins.split(',').filter_map(|origin| HeaderValue::from_str(origin.trim()).ok()).collect()
}

/// Serves `router` on `listener` until `shutdown`, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}
