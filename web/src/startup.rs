//! How a service's `main` ends: a failure is printed once, naming the service and the cause
//! (`posts: cannot listen on 127.0.0.1:4000: Address already in use`), and the exit status
//! says it failed.

use std::process::ExitCode;

/// The exit status for `result`, printing a failure's whole cause chain on stderr.
pub fn exit_status(service: &str, result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("{service}: {error:#}");
            ExitCode::FAILURE
        }
    }
}
