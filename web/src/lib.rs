//! The HTTP pieces every blog service shares, so each service's routes hold only what is
//! particular to it.
//!
//! # Layout
//!
//! - [`error`]: [`ApiError`], the one error shape every route answers with:
//!   `{"error": "..."}` and a status code. A broker outage maps to 503.
//! - [`json`]: [`JsonBody`], axum's `Json` extractor with its rejections (malformed JSON,
//!   missing fields, a body over the limit) turned into that same JSON error shape.
//! - [`request`]: [`PathParam`], [`IdParam`] (an entity's id in the path: 404 if it names
//!   nothing) and [`IdempotencyKey`], the other request parts, rejected in the same JSON
//!   shape.
//! - [`service`]: [`ServiceState`], how a service describes itself (name, ready or not,
//!   [`Health`]), and [`service::app`], which puts its routes behind a readiness gate and
//!   adds `/health`.
//! - [`shell`]: [`Shell`], the application shell — bind, connect, then serve, answer the
//!   NATS services API and do the service's own work until the stop signal.
//! - `testing` (feature `testing`): sending a request through a router in a test.
//! - [`startup`]: [`startup::exit_status`], how a service's `main` reports a failure.
//! - [`settings`]: [`ServiceSettings`], host, port and broker, from the environment.
//! - [`server`]: binding, the middleware every service wants (JSON 404/405, body limit and
//!   timeout, CORS, tracing), and serving — with a time limit on headers — until the stop
//!   signal.
//! - [`cors`]: which origins may call the services from a browser (`FRONTEND_ORIGINS`).

pub mod cors;
pub mod error;
pub mod json;
pub mod request;
pub mod server;
pub mod service;
pub mod settings;
pub mod shell;
pub mod startup;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::ApiError;
pub use json::JsonBody;
pub use request::{no_such, IdParam, IdempotencyKey, PathParam};
pub use service::{Health, ServiceState};
pub use settings::ServiceSettings;
pub use shell::Shell;
