use anyhow::anyhow;
use posts::Application;
use std::process::ExitCode;
use web::ServiceSettings;

/// mimalloc rather than the system allocator: a service allocates a little for every
/// request and every event, from several threads at once, and glibc's malloc spent a
/// quarter of query's replay in its own bookkeeping and locks (README: Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    bus::telemetry::init_tracing();
    web::startup::exit_status("posts", run().await)
}

async fn run() -> anyhow::Result<()> {
    let settings = ServiceSettings::from_env(bus::ServiceName::Posts).map_err(|e| anyhow!(e))?;
    let app = Application::build(settings).await?;
    app.run_until_stopped(bus::shutdown::on_signal()).await
}
