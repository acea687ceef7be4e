//! Exercise 02 — bring a service online a year later. (Read
//! `workshop/02-late-service/README.md` first.)
//!
//! `stats` counts posts, comments, approvals and rejections, in total and per post, and
//! answers `GET /stats`. It is the shell of a new service, complete but for one thing: it
//! learns about the blog only from the events published *after* it starts. Started against
//! a blog with a year of history, it knows nothing of that year.
//!
//! # Layout
//!
//! - [`stats`]: the counts, a pure fold of events (given).
//! - [`reading`]: how the service learns about events — **yours to change**.
//! - [`service`]: its state, `GET /stats` and `/health`, and its startup, on the shared
//!   `web::Shell` like every service (given).

pub mod reading;
pub mod service;
pub mod stats;
