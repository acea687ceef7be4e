//! `poison`: publishes one poison message — bytes on a `CommentCreated` subject that are not
//! an event — as the `admin` NATS user, for the lab console's "a poison message arrives".
//! Every consumer of COMMENTS meets it: none can decode it, so each leaves a dead-letter
//! note and moves on instead of retrying it forever (see `bus::consume`).

use bus::{auth, BusConfig, StreamDef};
use std::process::ExitCode;
use std::time::Duration;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match BusConfig::from_env(auth::ADMIN) {
        Ok(config) => config.as_user(auth::ADMIN, "poison"),
        Err(error) => {
            eprintln!("poison: {error}");
            return ExitCode::FAILURE;
        }
    };
    let publishing = async {
        let client = bus::connect::connect(&config).await;
        let js = async_nats::jetstream::new(client);
        let subject = format!(
            "{}.poison-{}",
            StreamDef::Comments
                .subjects_of("CommentCreated")
                .trim_end_matches(".>"),
            uuid::Uuid::new_v4()
        );
        let body = r#"{"this is": "not an event", "type": "CommentCreated"}"#;
        let ack = js.publish(subject.clone(), body.into()).await?.await?;
        Ok::<_, async_nats::Error>((subject, ack.sequence))
    };
    match tokio::time::timeout(Duration::from_secs(10), publishing).await {
        Ok(Ok((subject, sequence))) => {
            println!("poison: published on {subject} (COMMENTS #{sequence})");
            ExitCode::SUCCESS
        }
        Ok(Err(error)) => {
            eprintln!("poison: {error}");
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("poison: the broker did not answer within 10 s");
            ExitCode::FAILURE
        }
    }
}
