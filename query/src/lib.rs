//! The query service (port 4002): the read side. `GET /posts` answers every post with its
//! comments in one request, from an in-memory read model; `GET /posts?limit=N` a page of
//! them, newest first.
//!
//! The read model is never stored: on every start, query replays the whole history of the
//! POSTS, COMMENTS and MODERATION streams (an ordered consumer each, at the broker's speed),
//! then hands over to durable consumers that follow them live.
//! `/health` says ready only once the replay has caught up with what the streams held at
//! startup. Killing query loses nothing: the streams are the system of record.
//!
//! # Layout
//!
//! - [`config`]: the settings — the service settings plus the instance name, which names
//!   the durable consumers so several query instances each keep their own.
//! - [`records`]: reading the DEADLETTERS stream — advisories, notes, retry records.
//! - [`dead_letters`]: the dead letters, each letter's generation along its retry chain,
//!   and retrying one.
//! - [`redrive`]: re-driving dead letters automatically, a bounded number of times with a
//!   growing delay, then leaving them to a person.
//! - [`gave_up`]: the join of comments with the dead letters about their moderation, so a
//!   stuck comment says why (the `moderation` field of `/posts`).
//! - [`dead_letter_routes`]: `POST /deadletters/{id}/retry` and `/deadletters/retry-all`,
//!   which want a JSON body and refuse a foreign `Origin`.
//! - [`system`]: the live system view of `GET /system` — services up, stream sizes,
//!   consumer backlogs, dead letters.
//! - [`tape`]: the Streams page's tape — a stream's messages, a page at a time, by sequence.
//! - [`ping`]: who is up, asked through the NATS services API (`$SRV.PING`).
//! - [`timeline`]: each comment's event history, hop by hop.
//! - [`projection`]: the read model — a pure fold of events that reaches the same state
//!   whatever the order or duplication of delivery (property-tested).
//! - [`consumer`]: replaying and following the streams into the read model (decode → fold →
//!   announce), and following the dead letters.
//! - [`live`]: `GET /posts/events`, the server-sent-events stream of read-model changes
//!   (a snapshot first, then one event per changed post).
//! - [`live_pages`]: the same stream with `?limit=N`, what the web client follows: the
//!   first page, then each changed post as a page shows it.
//! - [`state`]: [`state::AppState`], what routes, consumers, live streams and the system
//!   watcher share, and how the service reports its health.
//! - [`pages`]: what a page of posts or comments asks for (`?limit=`, `?after=`,
//!   `?before=`), so a large blog opens as fast as a small one.
//! - [`page_cache`]: each post's JSON on a page, written once per change of the post.
//! - [`routes`]: the HTTP handlers and [`routes::router`].
//! - [`startup`]: [`startup::Application`] — bind, connect, then serve and consume.

pub mod config;
pub mod consumer;
pub mod dead_letter_routes;
pub mod dead_letters;
pub mod gave_up;
pub mod live;
pub mod live_pages;
pub mod page_cache;
pub mod pages;
pub mod ping;
pub mod projection;
pub mod records;
pub mod redrive;
pub mod routes;
pub mod startup;
pub mod state;
pub mod system;
pub mod tape;
pub mod timeline;

pub use config::Settings;
pub use startup::Application;
