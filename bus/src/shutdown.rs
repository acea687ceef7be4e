//! The stop signal every service's `main` waits for.

use tokio_util::sync::CancellationToken;

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
