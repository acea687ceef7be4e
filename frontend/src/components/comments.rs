//! A post's comments and the form to add one.

use crate::api;
use crate::components::text_form::TextForm;
use crate::config::Config;
use crate::model::{Board, Comment};
use leptos::prelude::*;

/// The comments of one post, oldest first. Each shows its content only once approved.
#[component]
pub fn CommentList(comments: Signal<Vec<Comment>>) -> impl IntoView {
    view! {
        <Show
            when=move || comments.with(|c| !c.is_empty())
            fallback=|| view! { <p class="no-comments">"No comments yet."</p> }
        >
            <ul class="comments">
                // Keyed by what is shown, so a moderation decision redraws just that item.
                <For
                    each=move || comments.get()
                    key=|c| (c.id.clone(), c.status, c.content.clone())
                    let:comment
                >
                    <li
                        class=format!("comment {}", comment.status.as_str())
                        data-comment-id=comment.id.clone()
                        data-status=comment.status.as_str()
                    >
                        // Plain text: Leptos escapes it, so a comment can never inject HTML.
                        {comment.display_text().to_owned()}
                    </li>
                </For>
            </ul>
        </Show>
    }
}

/// The add-comment form of one post. A successful write shows the comment at once as
/// pending; query's events then bring its moderation decision.
#[component]
pub fn CommentForm(post_id: String) -> impl IntoView {
    let config = expect_context::<Config>();
    let board = expect_context::<RwSignal<Board>>();
    let input_id = format!("comment-{post_id}");
    let submit = move |content: String| {
        let config = config.clone();
        let post_id = post_id.clone();
        async move {
            let created = api::create_comment(&config, &post_id, &content)
                .await
                .map_err(|e| e.to_string())?;
            board.update(|b| b.add_own_comment(&created.post_id, created.id, created.content));
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
