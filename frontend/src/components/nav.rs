//! The views — the blog itself, the recovery lab's System view, the Moderator page of
//! human moderation and the Streams page's tapes — and the header links between them.
//!
//! The view is named in the URL's fragment (`#posts`, `#system`): plain links, so they
//! work with the keyboard and a screen reader as any link does, the browser's back button
//! goes back to the other view, and `http://…/#system` can be bookmarked or shared in a
//! workshop. Both views stay mounted and only the hidden one is hidden, so a comment
//! half typed, or an open timeline, is still there after a look at the System view.

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Posts,
    System,
    /// The comments waiting for a person (human moderation).
    Moderator,
    /// A stream's messages and its consumers' cursors (`#streams/COMMENTS/17` names one).
    Streams,
}

impl Page {
    /// The page a URL fragment names; anything unknown is the posts.
    pub fn from_hash(hash: &str) -> Page {
        match hash.trim_start_matches('#') {
            "system" => Page::System,
            "moderator" => Page::Moderator,
            "streams" => Page::Streams,
            other if other.starts_with("streams/") => Page::Streams,
            _ => Page::Posts,
        }
    }

    pub fn href(self) -> &'static str {
        match self {
            Page::Posts => "#posts",
            Page::System => "#system",
            Page::Moderator => "#moderator",
            Page::Streams => "#streams",
        }
    }

    /// The `id` of the view's first heading, which takes the focus when the view is
    /// switched to, so a screen reader announces where the user now is.
    pub fn heading_id(self) -> &'static str {
        match self {
            Page::Posts => "new-post-heading",
            Page::System => "system-heading",
            Page::Moderator => "moderator-heading",
            Page::Streams => "streams-page-heading",
        }
    }
}

/// The page named by the URL now, kept current as the fragment changes.
pub fn current_page() -> RwSignal<Page> {
    let hash = || window().location().hash().unwrap_or_default();
    let page = RwSignal::new(Page::from_hash(&hash()));
    // The listener lives as long as the page: its handle is dropped without removing it.
    let _ = window_event_listener(ev::hashchange, move |_| {
        let now = Page::from_hash(&hash());
        if page.get_untracked() != now {
            page.set(now);
            // After the view is shown (the next frame), move the focus into it.
            request_animation_frame(move || {
                if let Some(heading) = document().get_element_by_id(now.heading_id()) {
                    if let Ok(heading) = heading.dyn_into::<web_sys::HtmlElement>() {
                        let _ = heading.focus();
                    }
                }
            });
        }
    });
    page
}

/// The header's links to the views; the current one is marked for assistive
/// technology (`aria-current`) and by its look.
#[component]
pub fn PageLinks() -> impl IntoView {
    let page = expect_context::<RwSignal<Page>>();
    let link = move |target: Page, text: &'static str| {
        let current = move || (page.get() == target).then_some("page");
        view! {
            <a class="page-link" href=target.href() aria-current=current>{text}</a>
        }
    };
    view! {
        <nav class="page-links" aria-label="Views">
            {link(Page::Posts, "Posts")}
            {link(Page::System, "System")}
            {link(Page::Streams, "Streams")}
            {link(Page::Moderator, "Moderator")}
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fragment_names_the_page_and_anything_else_is_the_posts() {
        assert_eq!(Page::from_hash("#system"), Page::System);
        assert_eq!(Page::from_hash("system"), Page::System);
        assert_eq!(Page::from_hash("#posts"), Page::Posts);
        assert_eq!(Page::from_hash(""), Page::Posts);
        assert_eq!(Page::from_hash("#nonsense"), Page::Posts);
        assert_eq!(Page::from_hash(Page::System.href()), Page::System);
        assert_eq!(Page::from_hash(Page::Moderator.href()), Page::Moderator);
        assert_eq!(Page::from_hash("#streams/COMMENTS/17"), Page::Streams);
        assert_eq!(Page::from_hash("#streamsx"), Page::Posts);
    }
}
