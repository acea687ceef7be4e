//! The comments service (port 4001): `POST /posts/{id}/comments` publishes a
//! `CommentCreated` event (status `pending`); `GET /posts/{id}/comments` lists a post's
//! comments. When moderation decides, it publishes a `CommentUpdated` with the new status.
//!
//! Its state is rebuilt from its own COMMENTS stream at startup and kept by following it.
//! It asks the POSTS stream whether a post exists, and consumes the MODERATION stream with
//! the durable consumer `comments`.
//!
//! # Layout
//!
//! - [`domain`]: valid comment content, and the comments built from events
//!   ([`domain::Comments`], a pure projection).
//! - [`lookup`]: "does this post (or comment) exist?", answered by the streams.
//! - [`state`]: [`state::AppState`], what routes, follower and consumer share, and how the
//!   service reports its health.
//! - [`consumer`]: the consumer of `CommentModerated` — `refresh` from the stream, a pure
//!   `handle` that decides, an `interpret` that publishes the `CommentUpdated`.
//! - [`routes`]: the HTTP handlers and [`routes::router`].
//! - [`startup`]: [`startup::Application`] — bind, connect, then serve, follow and consume.

pub mod consumer;
pub mod domain;
pub mod lookup;
pub mod routes;
pub mod startup;
pub mod state;

pub use startup::Application;
