//! How the read side is doing, said twice: a small status in the header, and a banner
//! across the page while query cannot be reached.

use crate::context::PostsFeed;
use crate::live::Link;
use leptos::prelude::*;

/// The banner: present only while the link is down. The last known posts stay on the page
/// underneath, so a learner who kills query sees stale data clearly labelled as such
/// rather than a blank page.
#[component]
pub fn ReadSideBanner() -> impl IntoView {
    let link = expect_context::<PostsFeed>().link;
    view! {
        <Show when=move || link.get() == Link::Down>
            <div id="read-side-banner" class="banner" role="alert">
                <strong>"The read side is unavailable."</strong>
                " The query service cannot be reached, so the posts below may be out of date. \
                 This page reconnects by itself when it is back; you can still write posts and comments."
            </div>
        </Show>
    }
}

/// The header's one-word status: live, connecting, or reconnecting.
#[component]
pub fn LinkStatus(
    /// The link of the view on screen (the posts' stream, or the system's).
    link: Signal<Link>,
) -> impl IntoView {
    let (class, text) = (
        move || match link.get() {
            Link::Live => "link-status live",
            Link::Connecting => "link-status connecting",
            Link::Down => "link-status down",
        },
        move || match link.get() {
            Link::Live => "Live",
            Link::Connecting => "Connecting…",
            Link::Down => "Reconnecting…",
        },
    );
    view! { <span id="link-status" class=class role="status">{text}</span> }
}
