//! The HTTP pieces every blog service shares, so each service's routes hold only what is
//! particular to it.
//!
//! # Layout
//!
//! - [`error`]: [`ApiError`], the one error shape every route answers with:
//!   `{"error": "..."}` and a status code. A broker outage maps to 503.
//! - [`json`]: [`JsonBody`], axum's `Json` extractor with its rejections (malformed JSON,
//!   missing fields, a body over the limit) turned into that same JSON error shape.
//! - [`settings`]: [`ServiceSettings`], host, port and broker, from the environment.
//! - [`server`]: binding, the middleware every service wants (body limit, tracing), and
//!   serving until the stop signal.

pub mod error;
pub mod json;
pub mod server;
pub mod settings;

pub use error::ApiError;
pub use json::JsonBody;
pub use settings::ServiceSettings;
