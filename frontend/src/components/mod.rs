//! The page, in small components. What they share, the [`app::App`] provides as typed
//! context (see [`crate::context`]): the [`PostsFeed`](crate::context::PostsFeed) and the
//! [`SystemFeed`](crate::context::SystemFeed) that [`crate::live`] fills, the current
//! [`Page`](nav::Page), and the [`Config`](crate::config::Config). Calls to the services go
//! through [`crate::api`]: reads that are asked for (a timeline) as a `LocalResource`,
//! older pages of posts and comments on a button's press (`older`), writes (a post, a
//! comment, a retry) as an `Action`.
//!
//! Dependencies point one way: `app` → the views → their parts; no module here imports
//! one that imports it back (the System view's parts share only `crate::context`).

pub mod app;
pub mod banner;
pub mod clock;
pub mod comments;
pub mod console;
pub mod dead_letters;
pub mod gave_up;
pub mod knobs;
pub mod moderator;
pub mod nav;
pub mod older;
pub mod post_card;
pub mod posts;
pub mod streams;
pub mod system;
pub mod text_form;
pub mod timeline;
