//! What query serves: the read model, the live system view, dead letters and timelines.
//!
//! The `#[serde(default)]`s and `#[serde(other)]`s are for the reader (the web client): a
//! field or a value it does not know yet is tolerated, not an error that blanks the page.
//!
//! # Layout
//!
//! - `posts`: the read model — `GET /posts`, `GET /posts/{id}`, `/posts/events`.
//! - `dead_letters`: dead letters and where each stands with its re-drive.
//! - `system`: the system view — `GET /system`, `/system/events`.
//! - `timeline`: a comment's history, hop by hop — `GET /comments/{id}/timeline`.
//! - `tape`: a stream's messages, a page at a time — `GET /streams/{name}/messages`.

mod dead_letters;
mod posts;
mod system;
mod tape;
mod timeline;

pub use dead_letters::*;
pub use posts::*;
pub use system::*;
pub use tape::*;
pub use timeline::*;

#[cfg(test)]
mod tests;
