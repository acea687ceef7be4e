//! Building and running the service: serve `/health` and consume new comments until the
//! stop signal.

use crate::config::Settings;
use crate::consumer::{self, CONSUMER};
use crate::routes::{router, AppState};
use bus::consume::{consume, Durable};
use bus::progress::Progress;
use bus::{Publisher, StreamDef};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub struct Application {
    listener: TcpListener,
    port: u16,
    publisher: Publisher,
    settings: Settings,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let service = &settings.service;
        let (listener, port) = web::server::bind(&service.host, service.port).await?;
        let streams = [StreamDef::Comments, StreamDef::Moderation];
        let client = bus::connect::connect_and_wait_for(&service.bus, &streams).await;
        Ok(Application {
            listener,
            port,
            publisher: Publisher::new(client),
            settings,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// This service's NATS connection. A crash closes it; an in-process test that "kills"
    /// the service closes it too, so the broker sees what it would see after a crash.
    pub fn nats_client(&self) -> async_nats::Client {
        self.publisher.client()
    }

    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let Settings {
            policy,
            knobs,
            concurrency,
            ..
        } = self.settings.clone();
        tracing::info!(
            port = self.port,
            concurrency,
            ?knobs,
            "moderation listening"
        );
        let publisher = self.publisher.clone();
        let durable = Durable::new(
            StreamDef::Comments,
            CONSUMER,
            Some(StreamDef::Comments.subjects_of("CommentCreated")),
        )
        .with_concurrency(concurrency)
        .with_ack_wait(self.settings.service.bus.ack_wait);
        let reading = Progress::new();
        let new_comments = consume(
            publisher.jetstream().clone(),
            durable,
            Some(reading.clone()),
            shutdown.clone(),
            |event, delivery| consumer::on_event(event, delivery, &policy, &knobs, &publisher),
        );
        let state = AppState {
            publisher: self.publisher.clone(),
            reading,
        };
        let announce = bus::discovery::announce(
            self.publisher.client(),
            "moderation",
            shutdown.clone(),
            || crate::routes::status(&state).1,
        );
        let serve = web::server::serve(self.listener, router(state.clone()), shutdown);
        let (served, (), ()) = tokio::join!(serve, new_comments, announce);
        served?;
        Ok(())
    }
}
