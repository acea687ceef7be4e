//! Which web pages may call the services: CORS for the web client's origin, and the list of
//! allowed origins that query's retry routes check as well.

use crate::server::IDEMPOTENCY_KEY;
use axum::http::{header, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The origins `FRONTEND_ORIGINS` allows (comma separated; default the web client on port
/// 3000), or `None` for `*`: any origin.
pub fn allowed_origins() -> Option<Vec<HeaderValue>> {
    origins_from(&origins_setting())
}

/// `FRONTEND_ORIGINS`, or the web client's origin on port 3000.
fn origins_setting() -> String {
    std::env::var("FRONTEND_ORIGINS")
        .unwrap_or_else(|_| "http://127.0.0.1:3000,http://localhost:3000".into())
}

/// The origins a `FRONTEND_ORIGINS` value names; `None` if it says `*`.
fn origins_from(origins: &str) -> Option<Vec<HeaderValue>> {
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
pub fn layer() -> CorsLayer {
    cors_from(&origins_setting())
}

fn cors_from(origins: &str) -> CorsLayer {
    // (tower-http panics when handed `*` in a list: it must be `AllowOrigin::any`.)
    let origins = match origins_from(origins) {
        Some(list) => AllowOrigin::list(list),
        None => AllowOrigin::any(),
    };
    CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([header::CONTENT_TYPE, IDEMPOTENCY_KEY])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_origin_allows_every_origin_instead_of_panicking() {
        assert_eq!(origins_from("*"), None);
        assert_eq!(origins_from("http://a:1, *").map(|o| o.len()), None);
        assert_eq!(
            origins_from("http://a:1, http://b:2").map(|o| o.len()),
            Some(2)
        );
        // What used to panic inside tower-http:
        let _ = cors_from("*");
    }
}
