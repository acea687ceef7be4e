//! Building and running the service: serve `/health` and consume new comments until the
//! stop signal.

use crate::consumer::{self, CONSUMER};
use crate::routes::router;
use bus::consume::{consume, durable};
use bus::{Publisher, StreamDef};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use web::ServiceSettings;

pub struct Application {
    listener: TcpListener,
    port: u16,
    publisher: Publisher,
}

impl Application {
    pub async fn build(settings: ServiceSettings) -> anyhow::Result<Application> {
        let (listener, port) = web::server::bind(&settings.host, settings.port).await?;
        let streams = [StreamDef::Comments, StreamDef::Moderation];
        let client = bus::connect::connect_and_ensure(&settings.bus, &streams).await;
        Ok(Application { listener, port, publisher: Publisher::new(client) })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        tracing::info!(port = self.port, "moderation listening");
        let publisher = self.publisher.clone();
        let new_comments = consume(
            publisher.jetstream().clone(),
            StreamDef::Comments,
            durable(CONSUMER, Some(StreamDef::Comments.subjects_of("CommentCreated"))),
            None,
            shutdown.clone(),
            |event, _delivery| {
                let publisher = publisher.clone();
                async move { consumer::interpret(consumer::handle(&event), &publisher).await }
            },
        );
        let serve = web::server::serve(self.listener, router(self.publisher), shutdown);
        let (served, ()) = tokio::join!(serve, new_comments);
        served?;
        Ok(())
    }
}
