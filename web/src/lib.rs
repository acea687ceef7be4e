//! The HTTP pieces every blog service shares, so each service's routes hold only what is
//! particular to it.
//!
//! # Layout
//!
//! - [`error`]: [`ApiError`], the one error shape every route answers with:
//!   `{"error": "..."}` and a status code. A broker outage maps to 503.
//! - [`json`]: [`JsonBody`], axum's `Json` extractor with its rejections (malformed JSON,
//!   missing fields, a body over the limit) turned into that same JSON error shape.
//! - [`request`]: [`PathParam`] and [`IdempotencyKey`], the other request parts, rejected
//!   in the same JSON shape.
//! - [`startup`]: [`startup::exit_status`], how a service's `main` reports a failure.
//! - [`settings`]: [`ServiceSettings`], host, port and broker, from the environment.
//! - [`server`]: binding, the middleware every service wants (JSON 404/405, body limit and
//!   timeout, CORS, tracing), and serving — with a time limit on headers — until the stop
//!   signal.

pub mod error;
pub mod json;
pub mod request;
pub mod server;
pub mod settings;
pub mod startup;

pub use error::ApiError;
pub use json::JsonBody;
pub use request::{IdempotencyKey, PathParam};
pub use settings::ServiceSettings;
