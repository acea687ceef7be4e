//! The wire contract: every shape that crosses a process boundary, declared once.
//!
//! The services serialize these types and the web client (compiled to WebAssembly)
//! deserializes the very same ones, so the two cannot drift apart. Serde types only: no
//! broker, no runtime, no HTTP; making new ids and events (a clock, random uuids) is behind
//! the `generate` feature, which only the services turn on.
//!
//! # Layout
//!
//! - [`ids`]: the uuid newtypes — `PostId`, `CommentId`, `EventId`, `CorrelationId`.
//! - [`names`]: each name's one home — the streams and their subjects, the services and
//!   their default ports.
//! - [`events`]: the four event types in their CloudEvents envelope, and the list of every
//!   event type with its stream and publishing service ([`events::EventType`]).
//! - [`api`]: the HTTP bodies of posts and comments, the JSON error, dead-letter retries.
//! - [`lab`]: the lab console's shapes — moderation's live knobs and the comments waiting
//!   for a person.
//! - [`views`]: what query serves — the read model (`/posts`, `/posts/events`), the system
//!   view (`/system`, `/system/events`), dead letters and their re-drive, timelines.
//!
//! # Adding an event type
//!
//! Say `CommentEdited`: in [`events`], add its payload struct, its [`events::EventBody`]
//! variant and its [`events::EventType`] (type name, stream, publisher), and the match
//! arms the compiler then asks for. The timeline's type → service map and `/system`'s
//! stream list follow from [`events::EventType::ALL`] and [`names::StreamDef::ALL`]; what
//! is left is the publisher and the consumers (see CONTRIBUTING.md).

pub mod api;
pub mod events;
pub mod ids;
pub mod lab;
pub mod names;
pub mod views;

pub use events::{
    CommentCreated, CommentModerated, CommentStatus, CommentUpdated, Event, EventBody, EventType,
    PostCreated,
};
pub use ids::{CommentId, CorrelationId, EventId, PostId};
pub use names::{ServiceName, StreamDef};
