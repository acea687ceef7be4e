//! The whole page: it loads the configuration, starts following query, and lays out the
//! header (with the links between the views) and the views: the blog (the new-post form
//! and the posts), the recovery lab's System view, the Moderator page and the Streams page.

use crate::components::banner::{LinkStatus, ReadSideBanner};
use crate::components::moderator::ModeratorPage;
use crate::components::nav::{current_page, Page, PageLinks};
use crate::components::posts::{NewPost, PostList};
use crate::components::streams::StreamsPage;
use crate::components::system::SystemPage;
use crate::config::Config;
use crate::context::{PostsFeed, SystemFeed};
use crate::live;
use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    let posts = PostsFeed::default();
    let system = SystemFeed::default();
    let page = current_page();
    provide_context(posts);
    provide_context(system);
    provide_context(page);

    // The service addresses come from `/config.json` (same origin, so this is quick);
    // nothing can be read or written before they are known. A resource read under
    // `Suspense`: "Loading…" until it is there, then the content, once (the resource is
    // never fetched again).
    let config = LocalResource::new(Config::load);

    // The header's status speaks for the view on screen.
    let shown_link = Signal::derive(move || match page.get() {
        Page::Posts => posts.link.get(),
        Page::System | Page::Moderator | Page::Streams => system.link.get(),
    });
    view! {
        <header class="site-header">
            <div class="wrap header-row">
                <h1>"Blog"</h1>
                <PageLinks />
                <LinkStatus link=shown_link />
            </div>
        </header>
        <main class="wrap">
            <Suspense fallback=|| view! { <p class="empty">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let config = config.await;
                    view! { <Content config /> }
                })}
            </Suspense>
        </main>
        <footer class="wrap site-footer">
            "Reads come from the query service, live; posts and comments are written to their own services."
        </footer>
    }
}

/// Everything that needs the configuration. A component body runs once per mount, so each
/// live connection is opened exactly once.
#[component]
fn Content(config: Config) -> impl IntoView {
    let page = expect_context::<RwSignal<Page>>();
    let system = expect_context::<SystemFeed>();
    live::follow_posts(&config.query, expect_context::<PostsFeed>());
    // The system stream is opened the first time the System view or the Streams page is
    // shown (most visits never need it), then kept, so they are current whenever looked at.
    let query = config.query.clone();
    Effect::new(move |started: Option<bool>| {
        if started == Some(true) {
            return true;
        }
        let wanted = matches!(page.get(), Page::System | Page::Streams);
        if wanted {
            live::follow_system(&query, system);
        }
        wanted
    });
    provide_context(config);
    view! {
        <div id="posts-view" hidden=move || page.get() != Page::Posts>
            <ReadSideBanner />
            <NewPost />
            <PostList />
        </div>
        <div id="system-view" hidden=move || page.get() != Page::System>
            <SystemPage />
        </div>
        <div id="moderator-view" hidden=move || page.get() != Page::Moderator>
            <ModeratorPage />
        </div>
        <div id="streams-view" hidden=move || page.get() != Page::Streams>
            <StreamsPage />
        </div>
    }
}
