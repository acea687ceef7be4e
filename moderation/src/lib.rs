//! The moderation service (port 4003): reads every `CommentCreated` and publishes a
//! `CommentModerated` with status `approved`, or `rejected` if the comment mentions
//! "orange". Up to `MODERATION_CONCURRENCY` comments are moderated at once.
//!
//! Its knobs (a delay, a failure rate, the rejected words, the concurrency, and whether a
//! person decides) live in the NATS KV bucket `MODERATION_KNOBS`, which every instance
//! watches; the lab console changes them with `PUT /knobs`. With `manual` on, comments wait
//! in the KV bucket `MODERATION_WAITING` for `POST /waiting/{id}/decision`.
//!
//! It reads COMMENTS through the durable pull consumer `moderation` (filter
//! `comments.CommentCreated.>`). The server remembers how far that consumer has acked, so
//! comments posted while moderation is down wait in the stream and are all moderated when it
//! comes back — none lost, none twice.
//!
//! # Layout
//!
//! - [`config`]: the settings, including the workshop knobs (a slow or flaky moderator,
//!   the rejected words, how many comments to moderate at once).
//! - [`policy`]: the pure rule — which comments are rejected.
//! - [`knobs`]: the knobs, followed live from their KV bucket.
//! - [`waiting`]: human moderation — the waiting list, a decision taken exactly once.
//! - [`state`]: [`state::AppState`], what the route and the consumer share, and how the
//!   service reports its health.
//! - [`consumer`]: decode → look for a stored decision → [`consumer::handle`] (pure) →
//!   [`consumer::interpret`] (publish).
//! - [`routes`]: `/health`, `/knobs`, `/waiting` and [`routes::router`].
//! - [`startup`]: [`startup::Application`] — bind, connect, then serve and consume.

pub mod config;
pub mod consumer;
pub mod knobs;
pub mod policy;
pub mod routes;
pub mod startup;
pub mod state;
pub mod waiting;

pub use config::Settings;
pub use startup::Application;
