//! Serving a router: one place for the middleware every service wants, the limits that keep
//! a slow or hostile client from tying a service up, and the graceful stop.

use crate::error::ApiError;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;

/// The largest request body any service accepts: 16 KiB is far more than a title or a
/// comment needs, and small enough that nobody can make a service buffer megabytes.
pub const BODY_LIMIT: usize = 16 * 1024;

/// How long a client may take to send a request's headers, and then its body. A client
/// that trickles them (or opens a socket and sends nothing) is cut off, instead of holding
/// a connection and its memory forever.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The header a client names its write with, so that retrying it is safe.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// Binds `host:port`. Port 0 picks a free port (tests do that); ask the listener which.
/// The error says what could not be bound, not just the OS's reason.
pub async fn bind(host: &str, port: u16) -> std::io::Result<(TcpListener, u16)> {
    let named = |error: std::io::Error| {
        std::io::Error::new(
            error.kind(),
            format!("cannot listen on {host}:{port}: {error}"),
        )
    };
    let listener = TcpListener::bind((host, port)).await.map_err(named)?;
    let port = listener.local_addr().map(|a: SocketAddr| a.port())?;
    Ok((listener, port))
}

/// Adds what every service wants around its routes: JSON 404 and 405 answers, the body
/// limit and body timeout, CORS for the web client, and request tracing.
pub fn with_middleware(router: Router) -> Router {
    router
        .fallback(|| async { ApiError::not_found("there is no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "this route does not answer that method",
            )
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(RequestBodyTimeoutLayer::new(READ_TIMEOUT))
        .layer(cors())
        .layer(TraceLayer::new_for_http())
}

/// The origins `FRONTEND_ORIGINS` allows (comma separated; default the web client on port
/// 3000), or `None` for `*`: any origin.
pub fn allowed_origins() -> Option<Vec<HeaderValue>> {
    let origins = std::env::var("FRONTEND_ORIGINS")
        .unwrap_or_else(|_| "http://127.0.0.1:3000,http://localhost:3000".into());
    if origins.split(',').any(|origin| origin.trim() == "*") {
        return None;
    }
    let list = origins
        .split(',')
        .filter_map(|origin| HeaderValue::from_str(origin.trim()).ok())
        .filter(|origin| !origin.is_empty())
        .collect();
    Some(list)
}

/// The web client is served from its own origin (port 3000) and calls the services
/// directly, so the browser needs CORS permission — for that origin only, not for every
/// page on the web. `FRONTEND_ORIGINS` (comma separated) overrides the default; `*` allows
/// every origin (no credentials are involved, so that is a choice, not a hole).
fn cors() -> CorsLayer {
    let origins = match allowed_origins() {
        Some(list) => AllowOrigin::list(list),
        None => AllowOrigin::any(),
    };
    CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, IDEMPOTENCY_KEY])
}

/// Serves `router` on `listener` until `shutdown`, then lets in-flight requests finish.
///
/// Why not `axum::serve`: it gives hyper no timer, so a client that never finishes its
/// headers keeps its connection forever. Here every connection gets [`READ_TIMEOUT`] for
/// them. HTTP/1.1 only: browsers speak nothing else to a plain-http origin.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(READ_TIMEOUT);
    let connections = GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(error) => {
                // Out of file descriptors, say: wait a little rather than spin.
                tracing::warn!(%error, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let service = TowerToHyperService::new(router.clone());
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    // Stop accepting, let each open connection finish the request in hand, then close.
    connections.shutdown().await;
    Ok(())
}
