//! `provision`: creates the streams, as the `admin` NATS user. `make run` runs it right
//! after starting nats-server; see `bus::provision` for why only this program may.

use bus::{auth, BusConfig};
use std::process::ExitCode;
use std::time::Duration;

#[tokio::main]
async fn main() -> ExitCode {
    bus::telemetry::init_tracing();
    let config = match BusConfig::from_env(auth::ADMIN) {
        Ok(config) => config.as_user(auth::ADMIN, "provision"),
        Err(error) => {
            eprintln!("provision: {error}");
            return ExitCode::FAILURE;
        }
    };
    let work = bus::provision::WorkStreams::from_env();
    match bus::provision::connect_and_provision(&config, Duration::from_secs(30), work).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("provision: {error} (is nats-server up, and is $NATS_PASSWORD_ADMIN the same for both?)");
            ExitCode::FAILURE
        }
    }
}
