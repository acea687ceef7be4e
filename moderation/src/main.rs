use anyhow::anyhow;
use moderation::{Application, Settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    bus::shutdown::init_tracing();
    let settings = Settings::from_env().map_err(|e| anyhow!(e))?;
    let app = Application::build(settings).await?;
    app.run_until_stopped(bus::shutdown::on_signal()).await
}
