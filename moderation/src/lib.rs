//! The moderation service (port 4003): reads every `CommentCreated` and publishes a
//! `CommentModerated` with status `approved`, or `rejected` if the comment mentions
//! "orange". It has no state and no write API; `GET /health` is its only route.
//!
//! It reads COMMENTS through the durable pull consumer `moderation` (filter
//! `comments.CommentCreated.>`). The server remembers how far that consumer has acked, so
//! comments posted while moderation is down wait in the stream and are all moderated when it
//! comes back — none lost, none twice.
//!
//! # Layout
//!
//! - [`policy`]: the pure rule — which comments are rejected.
//! - [`consumer`]: decode → [`consumer::handle`] (pure) → [`consumer::interpret`] (publish).
//! - [`routes`]: `GET /health` and [`routes::router`].
//! - [`startup`]: [`startup::Application`] — bind, connect, then serve and consume.

pub mod consumer;
pub mod policy;
pub mod routes;
pub mod startup;

pub use startup::Application;
