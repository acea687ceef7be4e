//! The posts service (port 4000): `POST /posts` publishes a `PostCreated` event;
//! `GET /posts` lists the posts it knows.
//!
//! It keeps no database: the POSTS stream is the system of record. At startup it replays
//! that stream into memory and keeps following it, so its list is the same after any
//! restart and the same on every instance.
//!
//! # Layout
//!
//! - [`domain`]: a valid title ([`domain::PostTitle`]) and the list of posts built from
//!   events ([`domain::Posts`], a pure projection).
//! - [`state`]: [`state::AppState`], what routes and the follower share, and how the
//!   service reports its health.
//! - [`routes`]: the HTTP handlers and [`routes::router`].
//! - [`startup`]: [`startup::Application`] — bind, connect, then serve and follow the stream
//!   until stopped.

pub mod domain;
pub mod routes;
pub mod startup;
pub mod state;

pub use startup::Application;
