//! The page, in small components. State lives in two signals the [`app::App`] provides as
//! context (the [`Board`](crate::model::Board) and the [`Link`](crate::live::Link)), plus
//! the [`Config`](crate::config::Config); components read what they need from there.

pub mod app;
pub mod banner;
pub mod comments;
pub mod post_card;
pub mod posts;
pub mod text_form;
