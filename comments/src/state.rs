//! What the routes, the stream follower and the consumer of decisions share.

use crate::domain::Comments;
use crate::lookup::Lookup;
use bus::progress::Progress;
use bus::Publisher;
use parking_lot::RwLock;
use serde_json::json;
use std::sync::Arc;
use web::{Health, ServiceState};

#[derive(Clone)]
pub struct AppState {
    pub publisher: Publisher,
    /// Asks the streams whether a post exists, and what they hold about a comment.
    pub lookup: Lookup,
    /// Never held across an `.await` (see `posts::state::AppState`).
    pub comments: Arc<RwLock<Comments>>,
    /// How far the COMMENTS stream has been applied.
    pub progress: Progress,
    /// Whether the consumer of moderation decisions can read (for `/health`).
    pub decisions: Progress,
}

impl AppState {
    pub fn new(publisher: Publisher) -> AppState {
        AppState {
            lookup: Lookup::new(publisher.clone()),
            publisher,
            comments: Arc::new(RwLock::new(Comments::default())),
            progress: Progress::new(),
            decisions: Progress::new(),
        }
    }
}

impl ServiceState for AppState {
    const NAME: &'static str = "comments";

    /// Ready once the replay of COMMENTS has caught up: before that, a post's list of
    /// comments (and the idempotency map) would be incomplete.
    fn is_ready(&self) -> bool {
        self.progress.is_ready()
    }

    /// Healthy also needs the consumer of decisions to be reading.
    fn health(&self) -> Health {
        let ready = self.is_ready() && self.decisions.is_reading();
        let details = json!({
            "broker": if self.publisher.is_connected() { "connected" } else { "disconnected" },
            "appliedSequence": self.progress.applied_sequence(),
        });
        Health::new(ready, if ready { "ready" } else { "replaying" }, details)
    }
}
