//! The whole page: it loads the configuration, starts following query, and lays out the
//! header, the banner, the new-post form and the posts.

use crate::components::banner::{LinkStatus, ReadSideBanner};
use crate::components::posts::{NewPost, PostList};
use crate::config::Config;
use crate::live::{self, Link};
use crate::model::Board;
use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    let board = RwSignal::new(Board::default());
    let link = RwSignal::new(Link::Connecting);
    provide_context(board);
    provide_context(link);

    // The service addresses come from `/config.json` (same origin, so this is quick);
    // nothing can be read or written before they are known.
    let config = LocalResource::new(Config::load);

    view! {
        <header class="site-header">
            <div class="wrap header-row">
                <h1>"Blog"</h1>
                <LinkStatus />
            </div>
        </header>
        <main class="wrap">
            <ReadSideBanner />
            {move || match config.get() {
                Some(config) => view! { <Content config /> }.into_any(),
                None => view! { <p class="empty">"Loading…"</p> }.into_any(),
            }}
        </main>
        <footer class="wrap site-footer">
            "Reads come from the query service, live; posts and comments are written to their own services."
        </footer>
    }
}

/// Everything that needs the configuration. A component body runs once per mount, so the
/// live connection is opened exactly once.
#[component]
fn Content(config: Config) -> impl IntoView {
    live::follow(&config.query, expect_context(), expect_context());
    provide_context(config);
    view! {
        <NewPost />
        <PostList />
    }
}
