//! What the routes and the stream follower share: the publisher, the posts built from the
//! stream, and how far that replay has come.

use crate::domain::Posts;
use bus::progress::Progress;
use bus::Publisher;
use parking_lot::RwLock;
use serde_json::json;
use std::sync::Arc;
use web::{Health, ServiceState};

#[derive(Clone)]
pub struct AppState {
    pub publisher: Publisher,
    /// A parking_lot lock: it is never held across an `.await`, and unlike std's it cannot be
    /// poisoned, so readers need no error handling for it.
    pub posts: Arc<RwLock<Posts>>,
    /// How far the POSTS stream has been applied.
    pub progress: Progress,
}

impl AppState {
    pub fn new(publisher: Publisher) -> AppState {
        AppState {
            publisher,
            posts: Arc::new(RwLock::new(Posts::default())),
            progress: Progress::new(),
        }
    }
}

impl ServiceState for AppState {
    const NAME: &'static str = "posts";

    /// Ready once the replay of POSTS has caught up: before that, the list is incomplete.
    fn is_ready(&self) -> bool {
        self.progress.is_ready()
    }

    fn health(&self) -> Health {
        let ready = self.is_ready();
        let status = if ready {
            "ready"
        } else if self.progress.is_caught_up() {
            "cannot read its stream"
        } else {
            "replaying"
        };
        let details = json!({
            "broker": if self.publisher.is_connected() { "connected" } else { "disconnected" },
            "posts": self.posts.read().len(),
            "appliedSequence": self.progress.applied_sequence(),
        });
        Health::new(ready, status, details)
    }
}
