//! What the routes, the consumers, the live streams and the system watcher share.

use crate::config::Settings;
use crate::consumer::STREAMS;
use crate::dead_letters::DeadLetters;
use crate::live::Changes;
use crate::page_cache::PageCache;
use crate::projection::{PostView, ReadModel};
use async_nats::jetstream;
use bus::progress::Progress;
use parking_lot::RwLock;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{watch, Semaphore};
use tokio_util::sync::CancellationToken;
use web::{Health, ServiceState};

/// The NATS services API metadata key under which each query instance names itself.
pub const INSTANCE_KEY: &str = "instance";

#[derive(Clone)]
pub struct AppState {
    pub js: jetstream::Context,
    /// As `admin`, for dead-letter retries only: `js` may publish nothing.
    pub retries: jetstream::Context,
    /// Never held across an `.await` (see `posts::state::AppState`).
    pub model: Arc<RwLock<ReadModel>>,
    /// One per stream read; ready when all have caught up.
    pub progress: Vec<(bus::StreamDef, Progress)>,
    /// Changes to the read model, for live clients.
    pub changes: Changes,
    pub dead_letters: Arc<RwLock<DeadLetters>>,
    /// Each post's JSON on a page of posts, kept until it changes.
    pub pages: PageCache,
    /// The latest system view as JSON (see [`crate::system`]).
    pub system: watch::Sender<Arc<str>>,
    /// The stop signal. Live streams never end by themselves, and a graceful stop waits for
    /// open connections, so they must end when it comes.
    pub shutdown: CancellationToken,
    /// One permit per open live (SSE) connection: a bound on how many this instance serves.
    pub live_clients: Arc<Semaphore>,
    /// This instance's name, which names its consumers (see [`crate::config`]).
    pub instance: String,
}

impl AppState {
    /// An empty read model (the replay fills it), reading through `js` and retrying dead
    /// letters through `retries`, with `settings`' redrive policy and live-client bound.
    pub fn new(
        js: jetstream::Context,
        retries: jetstream::Context,
        instance: String,
        settings: &Settings,
    ) -> AppState {
        let dead_letters = Arc::new(RwLock::new(DeadLetters::new(settings.redrive.clone())));
        let pages = PageCache::default();
        AppState {
            js,
            retries,
            model: Arc::new(RwLock::new(ReadModel::default())),
            progress: STREAMS.iter().map(|s| (*s, Progress::new())).collect(),
            changes: Changes::new(dead_letters.clone(), pages.clone()),
            pages,
            dead_letters,
            system: watch::Sender::new(Arc::from("")),
            shutdown: CancellationToken::new(),
            live_clients: Arc::new(Semaphore::new(settings.max_live_clients)),
            instance,
        }
    }

    pub fn ready(&self) -> bool {
        self.progress.iter().all(|(_, p)| p.is_ready())
    }

    /// Runs `work` unless the service stops first (then `None`).
    pub async fn until_stopped<T>(&self, work: impl std::future::Future<Output = T>) -> Option<T> {
        tokio::select! {
            _ = self.shutdown.cancelled() => None,
            done = work => Some(done),
        }
    }

    /// Every post with its comments, each stuck comment with why (see [`crate::gave_up`]).
    pub fn posts(&self) -> Vec<PostView> {
        crate::gave_up::posts(&self.model.read(), &self.dead_letters.read())
    }

    pub async fn wait_ready(&self) {
        futures::future::join_all(self.progress.iter().map(|(_, p)| p.wait_caught_up())).await;
    }
}

impl ServiceState for AppState {
    const NAME: &'static str = "query";

    /// Ready once every stream's replay has caught up: before that, the read model is
    /// incomplete.
    fn is_ready(&self) -> bool {
        self.ready()
    }

    fn health(&self) -> Health {
        let ready = self.ready();
        let streams: serde_json::Map<String, Value> = self
            .progress
            .iter()
            .map(|(stream, p)| {
                // `replay`: what the startup replay read, and how long it took.
                let replay = p
                    .replayed()
                    .map(|r| json!({"through": r.through, "messages": r.messages, "ms": r.millis}));
                let state = json!({"caughtUp": p.is_caught_up(), "reading": p.is_reading(),
                    "appliedSequence": p.applied_sequence(), "replay": replay});
                (stream.name().to_owned(), state)
            })
            .collect();
        let details = json!({
            "posts": self.model.read().post_count(),
            "streams": streams,
        });
        Health::new(ready, if ready { "ready" } else { "replaying" }, details)
    }

    /// Pings name the instance, so a second query with the same consumer names is refused.
    fn metadata(&self) -> HashMap<String, String> {
        HashMap::from([(INSTANCE_KEY.to_owned(), self.instance.clone())])
    }
}
