//! A post's comments (each with its timeline, on demand) and the form to add one.

use crate::api;
use crate::components::gave_up::GaveUpNote;
use crate::components::text_form::TextForm;
use crate::components::timeline::CommentTimeline;
use crate::config::Config;
use crate::context::PostsFeed;
use crate::model::{Comment, Status, StatusName};
use leptos::prelude::*;

/// The comments of one post, oldest first. Each shows its content only once approved.
#[component]
pub fn CommentList(comments: Signal<Vec<Comment>>) -> impl IntoView {
    let ids =
        Memo::new(move |_| comments.with(|c| c.iter().map(|c| c.id.clone()).collect::<Vec<_>>()));
    view! {
        <Show
            when=move || ids.with(|ids| !ids.is_empty())
            fallback=|| view! { <p class="no-comments">"No comments yet."</p> }
        >
            <ul class="comments">
                // Keyed by id alone: the item stays mounted when its comment is moderated
                // (it reads its own comment), so an open timeline stays open.
                <For each=move || ids.get() key=|id| id.clone() let:id>
                    <CommentItem id comments />
                </For>
            </ul>
        </Show>
    }
}

/// One comment, the button that shows its timeline, and why it is stuck if moderation
/// gave up on it.
#[component]
fn CommentItem(id: String, comments: Signal<Vec<Comment>>) -> impl IntoView {
    let comment = {
        let id = id.clone();
        Memo::new(move |_| comments.with(|cs| cs.iter().find(|c| c.id == id).cloned()))
    };
    let status =
        Signal::derive(move || comment.with(|c| c.as_ref().map_or(Status::Pending, |c| c.status)));
    // Plain text: Leptos escapes it, so a comment can never inject HTML.
    let text = move || {
        comment.with(|c| {
            c.as_ref()
                .map(|c| c.display_text().to_owned())
                .unwrap_or_default()
        })
    };
    let moderation =
        Signal::derive(move || comment.with(|c| c.as_ref().and_then(|c| c.moderation.clone())));
    let expanded = RwSignal::new(false);
    let panel_id = format!("timeline-{id}");
    let controls = panel_id.clone();
    let comment_id = id.clone();
    view! {
        <li
            class=move || format!("comment {}", status.get().name())
            data-comment-id=id
            data-status=move || status.get().name()
        >
            <div class="comment-row">
                <span class="comment-text">{text}</span>
                <button
                    type="button"
                    class="timeline-toggle"
                    aria-expanded=move || expanded.get().to_string()
                    aria-controls=controls
                    on:click=move |_| expanded.update(|open| *open = !*open)
                >
                    {move || if expanded.get() { "Hide timeline" } else { "Timeline" }}
                </button>
            </div>
            <GaveUpNote issue=moderation />
            <Show when=move || expanded.get()>
                <CommentTimeline comment_id=comment_id.clone() status panel_id=panel_id.clone() />
            </Show>
        </li>
    }
}

/// The add-comment form of one post. A successful write shows the comment at once as
/// pending; query's events then bring its moderation decision.
#[component]
pub fn CommentForm(post_id: String) -> impl IntoView {
    let config = expect_context::<Config>();
    let board = expect_context::<PostsFeed>().board;
    let input_id = format!("comment-{post_id}");
    let submit = move |content: String, key: String| {
        let config = config.clone();
        let post_id = post_id.clone();
        async move {
            let created = api::create_comment(&config, &post_id, &content, &key).await?;
            board.update(|b| {
                b.add_own_comment(
                    &created.post_id.to_string(),
                    created.id.to_string(),
                    created.content,
                )
            });
            Ok(())
        }
    };
    view! {
        <TextForm
            input_id
            label="Add a comment"
            button="Comment"
            empty_message="Write something first."
            submit
        />
    }
}
