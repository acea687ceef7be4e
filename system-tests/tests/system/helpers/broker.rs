//! Looking into the broker as `admin`: what the streams hold and how far each durable
//! consumer got — the ground truth the HTTP answers are checked against.

use super::system::TestSystem;
use super::wait::eventually;
use async_nats::jetstream;
use bus::StreamDef;
use std::time::Duration;

impl TestSystem {
    /// A JetStream context as `admin`: tests look into, and tamper with, every stream.
    pub async fn jetstream(&self) -> jetstream::Context {
        jetstream::new(bus::connect::connect(&self.nats.bus_config(bus::auth::ADMIN)).await)
    }

    /// How many events of `event_type` a stream holds.
    pub async fn count(&self, stream: StreamDef, event_type: &str) -> u64 {
        let js = self.jetstream().await;
        let handle = js
            .get_stream(stream.name())
            .await
            .expect("the stream exists");
        let mut info = handle
            .info_with_subjects(stream.subjects_of(event_type))
            .await
            .expect("stream info");
        let mut total = 0;
        while let Some(Ok((_, count))) = futures::StreamExt::next(&mut info).await {
            total += count as u64;
        }
        total
    }

    /// The durable `consumer`'s info from the server.
    pub async fn consumer_info(
        &self,
        stream: StreamDef,
        consumer: &str,
    ) -> jetstream::consumer::Info {
        let js = self.jetstream().await;
        let mut handle = js
            .get_consumer_from_stream::<jetstream::consumer::pull::Config, _, _>(
                consumer,
                stream.name(),
            )
            .await
            .expect("the consumer exists");
        handle.info().await.expect("consumer info").clone()
    }

    /// Shortens `stream`'s duplicate window, so a test can step past it in a second rather
    /// than two minutes: what JetStream's deduplication alone would then let through.
    pub async fn shorten_duplicate_window(&self, stream: StreamDef, window: Duration) {
        let js = self.jetstream().await;
        let mut config = js
            .get_stream(stream.name())
            .await
            .expect("stream")
            .cached_info()
            .config
            .clone();
        config.duplicate_window = window;
        js.update_stream(config)
            .await
            .expect("update the duplicate window");
    }

    /// Waits until the durable `consumer` on `stream` has nothing pending or unacked.
    pub async fn wait_drained(&self, stream: StreamDef, consumer: &str) {
        let js = self.jetstream().await;
        eventually(&format!("consumer {consumer} to drain"), || {
            let js = js.clone();
            async move {
                let Ok(mut c) = js
                    .get_consumer_from_stream::<jetstream::consumer::pull::Config, _, _>(
                        consumer,
                        stream.name(),
                    )
                    .await
                else {
                    return false;
                };
                c.info()
                    .await
                    .is_ok_and(|i| i.num_pending == 0 && i.num_ack_pending == 0)
            }
        })
        .await;
    }
}
