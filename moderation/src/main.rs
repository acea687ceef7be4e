use anyhow::anyhow;
use moderation::Application;
use web::ServiceSettings;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    bus::shutdown::init_tracing();
    let settings = ServiceSettings::from_env("moderation", 4003).map_err(|e| anyhow!(e))?;
    let app = Application::build(settings).await?;
    app.run_until_stopped(bus::shutdown::on_signal()).await
}
