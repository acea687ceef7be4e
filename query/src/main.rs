use anyhow::anyhow;
use query::{Application, Settings};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    bus::telemetry::init_tracing();
    web::startup::exit_status("query", run().await)
}

async fn run() -> anyhow::Result<()> {
    let settings = Settings::from_env().map_err(|e| anyhow!(e))?;
    let app = Application::build(settings).await?;
    app.run_until_stopped(bus::shutdown::on_signal()).await
}
