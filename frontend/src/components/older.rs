//! The buttons that read older pages: older posts at the end of the list, older comments at
//! the top of a post's comments. Query sends only the newest (see [`crate::live`]); the rest
//! is asked for when the reader wants it, a page at a time.

use crate::api::{self, ApiError};
use crate::config::Config;
use crate::context::PostsFeed;
use crate::model::Post;
use leptos::prelude::*;
use std::future::Future;

/// "Show older posts", while some are not shown.
#[component]
pub fn OlderPosts() -> impl IntoView {
    let config = expect_context::<Config>();
    let board = expect_context::<PostsFeed>().board;
    let after = Memo::new(move |_| board.with(|b| b.older_posts().map(str::to_owned)));
    let read = move || {
        let config = config.clone();
        async move {
            let Some(after) = after.get_untracked() else {
                return Ok(());
            };
            let page = api::older_posts(&config, &after).await?;
            let posts = page.posts.into_iter().map(Post::from).collect();
            let older = page.next.map(|id| id.to_string());
            board.update(|b| b.add_older_posts(posts, older));
            Ok(())
        }
    };
    view! {
        <Show when=move || after.with(Option::is_some)>
            <PageButton class="older-posts" label=Signal::derive(|| "Show older posts".to_owned()) read=read.clone() />
        </Show>
    }
}

/// "Show older comments (n more)", while a post has some not shown.
#[component]
pub fn OlderComments(post_id: String) -> impl IntoView {
    let config = expect_context::<Config>();
    let board = expect_context::<PostsFeed>().board;
    let older = {
        let id = post_id.clone();
        Memo::new(move |_| {
            board.with(|b| {
                b.post(&id)
                    .and_then(|p| Some((p.older_comments.clone()?, p.comments_not_shown())))
            })
        })
    };
    let read = move || {
        let (config, post_id) = (config.clone(), post_id.clone());
        async move {
            let Some((before, _)) = older.get_untracked() else {
                return Ok(());
            };
            let page = api::older_comments(&config, &post_id, &before).await?;
            board.update(|b| b.add_older_comments(Post::from(page)));
            Ok(())
        }
    };
    let label = Signal::derive(move || {
        let more = older.with(|o| o.as_ref().map_or(0, |(_, n)| *n));
        format!("Show older comments ({more} more)")
    });
    view! {
        <Show when=move || older.with(Option::is_some)>
            <PageButton class="older-comments" label read=read.clone() />
        </Show>
    }
}

/// A button that reads a page, disabled while it does, and says why when it cannot.
#[component]
fn PageButton<R, F>(class: &'static str, label: Signal<String>, read: R) -> impl IntoView
where
    R: Fn() -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Result<(), ApiError>> + 'static,
{
    let (busy, problem) = (RwSignal::new(false), RwSignal::new(None::<String>));
    let click = move |_| {
        busy.set(true);
        let reading = read();
        leptos::task::spawn_local(async move {
            problem.set(reading.await.err().map(|e| e.to_string()));
            busy.set(false);
        });
    };
    view! {
        <div class=format!("{class} more")>
            <button type="button" class=class on:click=click disabled=move || busy.get()>
                {label}
            </button>
            <p class="form-error" role="alert" hidden=move || problem.with(Option::is_none)>
                {move || problem.get().unwrap_or_default()}
            </p>
        </div>
    }
}
