//! The new-post form and the list of posts.

use crate::api;
use crate::components::older::OlderPosts;
use crate::components::post_card::PostCard;
use crate::components::text_form::TextForm;
use crate::config::Config;
use crate::context::PostsFeed;
use crate::live::Link;
use crate::model::Board;
use leptos::prelude::*;

#[component]
pub fn NewPost() -> impl IntoView {
    let config = expect_context::<Config>();
    let board = expect_context::<PostsFeed>().board;
    let submit = move |title: String, key: String| {
        let config = config.clone();
        async move {
            let created = api::create_post(&config, &title, &key).await?;
            board.update(|b| b.add_own_post(created.id.to_string(), created.title));
            Ok(())
        }
    };
    view! {
        <section class="new-post" aria-labelledby="new-post-heading">
            <h2 id="new-post-heading" tabindex="-1">"Create a post"</h2>
            <TextForm
                input_id="post-title".to_owned()
                label="Title"
                button="Create post"
                empty_message="Give the post a title first."
                submit
            />
        </section>
    }
}

/// The posts, newest first, as cards; older ones on demand.
#[component]
pub fn PostList() -> impl IntoView {
    let PostsFeed { board, link } = expect_context::<PostsFeed>();
    let ids = Memo::new(move |_| board.with(Board::ids));
    let empty_text = move || match (board.with(Board::is_loaded), link.get()) {
        (true, _) => "No posts yet. Create the first one above.",
        (false, Link::Down) => "Posts will appear here when the read side is back.",
        (false, _) => "Loading posts…",
    };
    view! {
        <section class="posts" aria-labelledby="posts-heading">
            <h2 id="posts-heading">"Posts"</h2>
            <Show
                when=move || ids.with(|ids| !ids.is_empty())
                fallback=move || view! { <p id="posts-empty" class="empty">{empty_text}</p> }
            >
                <div id="post-list" class="post-list">
                    <For each=move || ids.get() key=|id| id.clone() let:id>
                        <PostCard id />
                    </For>
                </div>
                <OlderPosts />
            </Show>
        </section>
    }
}
