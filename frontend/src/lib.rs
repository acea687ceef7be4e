//! The blog's web client: a Leptos app, compiled to WebAssembly, that reads everything from
//! the query service and writes to the posts and comments services.
//!
//! Every JSON shape it reads or sends is the `contract` crate's, the very types the services
//! serialize: `model` adds only what the page derives from them (wording, judgements, the
//! page's own not-yet-confirmed writes), as small traits and UI types.
//!
//! # Layout
//!
//! - [`config`]: where the services are, read at run time from `/config.json`.
//! - [`model`]: the page's data ([`model::Board`], in [`model::board`]: posts and their
//!   comments) and the pure rules for folding query's events and the user's own writes into
//!   it; and the recovery lab's data: [`model::system`] (services, streams, backlogs, dead
//!   letters, and how current the page can claim they are), [`model::health`] (a service
//!   shown up, down or unknown), [`model::redrive`] (a dead letter's automatic
//!   retries, and what a comment whose moderation gave up says), [`model::timeline`] (a
//!   comment's event chain) and [`model::time`] (how times and hops are written); and
//!   [`model::submit_key`], one idempotency key per submit. All unit-tested.
//! - [`api`]: typed HTTP calls, apart from the components: the writes to posts and
//!   comments, [`api::lab`] (query's timeline and dead-letter retries, one or all), and
//!   [`api::error`]: the one [`api::ApiError`] every call returns, with the service's HTTP
//!   status and message, worded for people in one place.
//! - [`live`]: query's server-sent events (`/posts/events`, `/system/events`) turned into
//!   signals, with reconnection, and whether each is reachable.
//! - [`context`]: what the app shares with its components, as typed structs
//!   ([`context::PostsFeed`], [`context::SystemFeed`]) rather than bare signals.
//! - [`components`]: the page in small pieces — [`components::app`] (the whole page), `nav`
//!   (the Posts and System views, named in the URL's fragment), `posts` (new-post form and
//!   the list), `post_card`, `comments` (each with a timeline toggle, and `gave_up`: why
//!   moderation gave up, counted down by the `clock`), `timeline` (a `LocalResource` under
//!   `Transition` and `ErrorBoundary`), `text_form` (the one input-and-button form both
//!   writes use, its submit an `Action`), `banner` (read side status), `system` (the System
//!   view) and `dead_letters` (its list, with Retry and Retry all, each an `Action`).
//!
//! How data moves, the Leptos way: what is pushed (query's events) is a signal; what is
//! asked for (a timeline, the configuration) is a resource read under `Suspense` or
//! `Transition`; what changes something (a post, a comment, a retry) is an action.
//!
//! Reads and writes take different roads on purpose, as in the course this app teaches:
//! a write answers once the event is in JetStream, and the read side catches up a moment
//! later through query. The page shows the user's own write at once and lets query's
//! version replace it (see [`model`]).

pub mod api;
pub mod components;
pub mod config;
pub mod context;
pub mod live;
pub mod model;

/// Mounts the app on `<body>`. Called by `main` in the browser.
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(components::app::App);
}
