//! Serving a router: one place for the middleware every service wants, the limits that keep
//! a slow or hostile client from tying a service up, and the graceful stop.

use crate::error::ApiError;
use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderName;
use axum::http::StatusCode;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::classify::ServerErrorsFailureClass;
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
/// The error says what could not be bound, with the OS's reason as its cause.
pub async fn bind(host: &str, port: u16) -> anyhow::Result<(TcpListener, u16)> {
    let listener = TcpListener::bind((host, port))
        .await
        .with_context(|| format!("cannot listen on {host}:{port}"))?;
    let port = listener
        .local_addr()
        .map(|a: SocketAddr| a.port())
        .context("cannot read the bound port")?;
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
        .layer(crate::cors::layer())
        .layer(TraceLayer::new_for_http().on_failure(log_failure))
}

/// A 5xx answer is logged at ERROR — but a 503 only at DEBUG: it is the expected "not now"
/// of a service still replaying (every `/health` probe until it is ready) or of a broker
/// outage, whose cause the handler has already logged as a warning. An ERROR line per probe
/// drowned the real errors in a starting service's log.
fn log_failure(failure: ServerErrorsFailureClass, latency: Duration, _span: &tracing::Span) {
    let latency_ms = latency.as_millis() as u64;
    match failure {
        ServerErrorsFailureClass::StatusCode(StatusCode::SERVICE_UNAVAILABLE) => {
            tracing::debug!(latency_ms, "answered 503: not ready or broker unavailable")
        }
        failure => tracing::error!(%failure, latency_ms, "response failed"),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{IdempotencyKey, PathParam};
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use std::sync::{Arc, Mutex};
    use std::time::Instant;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tower::ServiceExt;

    fn app() -> Router {
        let routes = Router::new()
            .route(
                "/things/{id}",
                get(|PathParam(id): PathParam<String>| async move { id }),
            )
            .route(
                "/keyed",
                get(|IdempotencyKey(key): IdempotencyKey| async move { format!("{key:?}") }),
            )
            .route("/health", get(|| async { "ok" }));
        with_middleware(routes)
    }

    async fn call(request: Request<Body>) -> (StatusCode, serde_json::Value) {
        let response = app().oneshot(request).await.expect("the router answers");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), BODY_LIMIT)
            .await
            .unwrap_or_default();
        (status, serde_json::from_slice(&body).unwrap_or_default())
    }

    fn get_request(uri: &str) -> Request<Body> {
        Request::get(uri).body(Body::empty()).unwrap_or_default()
    }

    /// The log lines of answering `status`, at every level.
    async fn log_of_answering(status: StatusCode) -> String {
        #[derive(Clone, Default)]
        struct Lines(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Lines {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                if let Ok(mut lines) = self.0.lock() {
                    lines.extend_from_slice(bytes);
                }
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let _logging = tracing::subscriber::set_default(subscriber);
        let routes = Router::new().route("/answer", get(move || async move { status }));
        let request = get_request("/answer");
        let response = with_middleware(routes).oneshot(request).await;
        assert_eq!(response.map(|r| r.status()).ok(), Some(status));
        let text = lines
            .0
            .lock()
            .map(|l| String::from_utf8_lossy(&l).into_owned());
        text.unwrap_or_default()
    }

    #[tokio::test]
    async fn a_503_is_logged_quietly_and_a_500_as_an_error() {
        let not_ready = log_of_answering(StatusCode::SERVICE_UNAVAILABLE).await;
        assert!(not_ready.contains("503"), "{not_ready}");
        assert!(!not_ready.contains("ERROR"), "{not_ready}");
        let broken = log_of_answering(StatusCode::INTERNAL_SERVER_ERROR).await;
        assert!(broken.contains("ERROR"), "{broken}");
    }

    #[tokio::test]
    async fn unknown_routes_wrong_methods_and_bad_paths_answer_json() {
        let (status, body) = call(get_request("/nowhere")).await;
        assert_eq!(
            (status, body["error"].is_string()),
            (StatusCode::NOT_FOUND, true),
            "{body}"
        );
        let delete = Request::delete("/health")
            .body(Body::empty())
            .unwrap_or_default();
        let (status, body) = call(delete).await;
        assert_eq!(
            (status, body["error"].is_string()),
            (StatusCode::METHOD_NOT_ALLOWED, true),
            "{body}"
        );
        let (status, body) = call(get_request("/things/%FF")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            body["error"].as_str().unwrap_or_default().contains("UTF-8"),
            "{body}"
        );
    }

    #[tokio::test]
    async fn a_bad_idempotency_key_is_a_json_400() {
        let keyed = |key: &str| {
            Request::get("/keyed")
                .header("idempotency-key", key)
                .body(Body::empty())
        };
        let (status, body) = call(keyed("has space").unwrap_or_default()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap_or_default()
                .contains("Idempotency-Key"),
            "{body}"
        );
        let response = app()
            .oneshot(keyed("fine-1").unwrap_or_default())
            .await
            .expect("answers");
        assert_eq!(response.status(), StatusCode::OK);
    }

    /// Serves `app()` on a free port until the returned token is cancelled.
    async fn serving() -> (u16, CancellationToken) {
        let (listener, port) = bind("127.0.0.1", 0).await.expect("a free port");
        let stop = CancellationToken::new();
        tokio::spawn(serve(listener, app(), stop.clone()));
        (port, stop)
    }

    async fn health_within(port: u16, limit: Duration) -> bool {
        let started = Instant::now();
        let answered = tokio::time::timeout(limit, async {
            let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()?;
            socket
                .write_all(b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                .await
                .ok()?;
            let mut answer = Vec::new();
            socket.read_to_end(&mut answer).await.ok()?;
            Some(answer.starts_with(b"HTTP/1.1 200"))
        })
        .await;
        answered.ok().flatten().unwrap_or(false) && started.elapsed() < limit
    }

    #[tokio::test]
    async fn a_client_that_never_finishes_its_headers_is_cut_off() {
        let (port, stop) = serving().await;
        let mut slow = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connects");
        slow.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n")
            .await
            .expect("writes");
        let started = Instant::now();
        let mut buffer = [0u8; 256];
        // The server closes the connection (read returns 0 or an error) once READ_TIMEOUT is up.
        let closed = tokio::time::timeout(
            READ_TIMEOUT + Duration::from_secs(5),
            slow.read(&mut buffer),
        )
        .await;
        assert!(
            closed.is_ok(),
            "the connection was still open after {:?}",
            started.elapsed()
        );
        assert!(started.elapsed() >= READ_TIMEOUT - Duration::from_secs(1));
        stop.cancel();
    }

    #[tokio::test]
    async fn many_idle_sockets_do_not_stop_health_answering() {
        let (port, stop) = serving().await;
        let mut idle = Vec::new();
        for _ in 0..500 {
            if let Ok(socket) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                idle.push(socket);
            }
        }
        assert!(idle.len() >= 450, "only {} sockets opened", idle.len());
        assert!(health_within(port, Duration::from_secs(1)).await);
        stop.cancel();
    }
}
