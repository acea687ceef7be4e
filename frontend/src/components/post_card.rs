//! One post: its title, its comments, and its add-comment form.

use crate::components::comments::{CommentForm, CommentList};
use crate::components::older::OlderComments;
use crate::context::PostsFeed;
use leptos::prelude::*;

/// A card that stays mounted for as long as the post exists, and reads its own post from
/// the board. (Keying the list by the post's content instead would rebuild the card on
/// every change — and wipe a comment the user is halfway through typing.)
#[component]
pub fn PostCard(id: String) -> impl IntoView {
    let board = expect_context::<PostsFeed>().board;
    let post = {
        let id = id.clone();
        Memo::new(move |_| board.with(|b| b.post(&id).cloned()))
    };
    let title = move || post.with(|p| p.as_ref().map(|p| p.title.clone()).unwrap_or_default());
    let comments = Signal::derive(move || {
        post.with(|p| p.as_ref().map(|p| p.comments.clone()).unwrap_or_default())
    });
    let heading_id = format!("post-{id}-title");
    let (post_attr, labelled_by) = (id.clone(), heading_id.clone());
    view! {
        <article class="post" data-post-id=post_attr aria-labelledby=labelled_by>
            <h3 id=heading_id>{title}</h3>
            <OlderComments post_id=id.clone() />
            <CommentList comments />
            <CommentForm post_id=id />
        </article>
    }
}
