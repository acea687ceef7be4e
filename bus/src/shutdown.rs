//! Process-level plumbing every service's `main` needs: logs and the stop signal.

use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

/// Logs to stdout, filtered by `RUST_LOG` (default: `info`). `make run` prefixes each line
/// with the process name, so the target and timestamps are kept short.
pub fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .compact()
        .try_init();
}

/// A token that is cancelled on Ctrl-C or SIGTERM: the graceful stop. Services stop taking
/// new work, finish the message in hand, then exit.
pub fn on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::terminate()) {
                Ok(mut sigterm) => {
                    tokio::select! {
                        _ = ctrl_c => {}
                        _ = sigterm.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = ctrl_c.await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
        tracing::info!("stop signal received; finishing in-flight work");
        trigger.cancel();
    });
    token
}
