//! What the [`App`](crate::components::app::App) shares with every component through
//! Leptos context, each as its own small type.
//!
//! `provide_context` and `use_context` find a value by its type, so two bare
//! `RwSignal<Link>`s (the posts' stream and the system's) would be one and the same slot,
//! and a component asking for "the link" could silently get the wrong one. A struct per
//! feed names what it is: a component asks for the [`PostsFeed`] or the [`SystemFeed`].
//!
//! Also in context: the [`Config`](crate::config::Config) (where the services are) and the
//! view on screen, a signal of [`Page`](crate::components::nav::Page) (a type of its own,
//! so it cannot be confused either).
//!
//! Both feeds are filled by [`crate::live`], which turns query's event streams into these
//! signals; the components only read them (and the writes add the user's own items to the
//! board, see [`crate::model`]).

use crate::model::system::{SystemView, SystemViewRules};
use crate::model::{Board, Link};
use leptos::prelude::*;

/// The blog: the posts with their comments, and how the page's link to query's
/// `/posts/events` is doing.
#[derive(Clone, Copy)]
pub struct PostsFeed {
    pub board: RwSignal<Board>,
    pub link: RwSignal<Link>,
}

impl Default for PostsFeed {
    /// Nothing seen yet: the page starts connecting at once.
    fn default() -> PostsFeed {
        PostsFeed {
            board: RwSignal::new(Board::default()),
            link: RwSignal::new(Link::Connecting),
        }
    }
}

/// The recovery lab: query's last view of the system, and how the page's link to
/// `/system/events` is doing.
#[derive(Clone, Copy)]
pub struct SystemFeed {
    pub view: RwSignal<Option<SystemView>>,
    pub link: RwSignal<Link>,
}

impl Default for SystemFeed {
    /// Nothing seen yet: made when the page starts, filled once the view is first opened.
    fn default() -> SystemFeed {
        SystemFeed {
            view: RwSignal::new(None),
            link: RwSignal::new(Link::Connecting),
        }
    }
}

impl SystemFeed {
    /// Whether what is shown is the system's state now (see
    /// [`SystemView::is_current`]); reactive.
    pub fn is_current(self) -> bool {
        let link = self.link.get();
        self.view
            .with(|v| v.as_ref().is_some_and(|v| v.is_current(link)))
    }
}
