//! What the routes and the consumer share: the publisher, whether the consumer reads, and
//! the knobs in force.

use crate::knobs::Live;
use bus::progress::Progress;
use bus::Publisher;
use serde_json::json;
use web::{Health, ServiceState};

#[derive(Clone)]
pub struct AppState {
    pub publisher: Publisher,
    /// Whether the consumer of new comments can read.
    pub reading: Progress,
    /// The knobs in force (followed from the KV bucket).
    pub knobs: Live,
}

impl ServiceState for AppState {
    const NAME: &'static str = "moderation";

    /// Moderation keeps no state to replay: it is ready when it can read its consumer.
    fn is_ready(&self) -> bool {
        self.publisher.is_connected() && self.reading.is_reading()
    }

    fn health(&self) -> Health {
        let connected = self.publisher.is_connected();
        let status = match (connected, self.reading.is_reading()) {
            (true, true) => "ready",
            (false, _) => "waiting for the broker",
            (true, false) => "cannot read its consumer",
        };
        let broker = if connected {
            "connected"
        } else {
            "disconnected"
        };
        Health::new(self.is_ready(), status, json!({ "broker": broker }))
    }
}
