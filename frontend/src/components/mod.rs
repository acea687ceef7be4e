//! The page, in small components. State lives in signals the [`app::App`] provides as
//! context — the [`Board`](crate::model::Board) and its [`Link`](crate::live::Link), the
//! [`SystemFeed`](system::SystemFeed) (the System view's data and link), the current
//! [`Page`](nav::Page) — plus the [`Config`](crate::config::Config); components read what
//! they need from there.

pub mod app;
pub mod banner;
pub mod clock;
pub mod comments;
pub mod dead_letters;
pub mod gave_up;
pub mod nav;
pub mod post_card;
pub mod posts;
pub mod system;
pub mod text_form;
pub mod timeline;
