//! The blog's web client: a Leptos app, compiled to WebAssembly, that reads everything from
//! the query service and writes to the posts and comments services.
//!
//! # Layout
//!
//! - [`config`]: where the services are, read at run time from `/config.json`.
//! - [`model`]: the page's data ([`model::Board`]: posts and their comments) and the pure
//!   rules for folding query's events and the user's own writes into it. Unit-tested.
//! - [`api`]: typed HTTP calls to posts and comments, and their errors worded for people.
//! - [`live`]: query's server-sent events (`/posts/events`) turned into signals, with
//!   reconnection, and whether the read side is reachable.
//! - [`components`]: the page in small pieces — [`components::app`] (the whole page),
//!   `posts` (new-post form and the list), `post_card`, `comments`, `text_form` (the one
//!   input-and-button form both writes use), `banner` (read side status).
//!
//! Reads and writes take different roads on purpose, as in the course this app teaches:
//! a write answers once the event is in JetStream, and the read side catches up a moment
//! later through query. The page shows the user's own write at once and lets query's
//! version replace it (see [`model`]).

pub mod api;
pub mod components;
pub mod config;
pub mod live;
pub mod model;

/// Mounts the app on `<body>`. Called by `main` in the browser.
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(components::app::App);
}
