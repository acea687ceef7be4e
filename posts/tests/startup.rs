//! A service that cannot start says which service failed and why, in one line, and exits
//! with a failure status — not a bare OS error.

use std::net::TcpListener;
use std::process::Command;

#[test]
fn a_taken_port_is_reported_with_the_service_and_the_address() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = taken.local_addr().expect("its address").port();
    let output = Command::new(env!("CARGO_BIN_EXE_posts"))
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        // Nothing listens here: binding fails first, so the broker is never needed.
        .env("NATS_URL", "nats://127.0.0.1:1")
        .env("RUST_LOG", "off")
        .output()
        .expect("posts runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    let expected = format!("posts: cannot listen on 127.0.0.1:{port}: ");
    assert!(stderr.contains(&expected), "stderr was: {stderr}");
    assert!(
        stderr.to_lowercase().contains("address already in use"),
        "stderr was: {stderr}"
    );
}
