//! The workshop's observe exercises, walked end to end: the steps a learner takes on a real
//! system, then the exercise's own check (`workshop/course.py check`) against it, which must
//! pass — and, before the steps, fail.

// The cluster tests' helpers (a "cluster" of one node is a plain server); this binary uses
// only a part of them.
#[allow(dead_code)]
#[path = "../cluster/helpers.rs"]
mod helpers;

use helpers::{eventually, ClusterSystem, Kind};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Runs `make check EX=<exercise>`'s program against the query on `query_port`, with its
/// progress kept in `progress` (never the learner's). Returns its exit success and output.
fn check(exercise: &str, query_port: u16, progress: &Path) -> (bool, String) {
    let repository = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = Command::new("python3")
        .arg(repository.join("workshop/course.py"))
        .args(["check", exercise])
        .env("QUERY_URL", format!("http://127.0.0.1:{query_port}"))
        .env("WORKSHOP_PROGRESS", progress)
        .output()
        .expect("python3 runs the workshop's check");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exercise_01_missing_events_passes_once_its_steps_are_done() {
    let progress = std::env::temp_dir().join(format!("workshop-{}.json", std::process::id()));
    let mut system = ClusterSystem::with_nodes(1);
    let posts = system.start_instance(Kind::Posts).await;
    let comments = system.start_instance(Kind::Comments).await;
    let moderation = system.start_instance(Kind::Moderation).await;
    let query = system.start_instance(Kind::Query("query")).await;
    let query_port = system.instances[query].port;
    let post = system.create_post(posts, "workshop").await;

    // Nothing done yet: the check fails, and says why.
    let (passed, output) = check("01", query_port, &progress);
    // (Whether moderation already counts as up and idle depends on whether query has pinged
    // it yet: that point may go either way; the two about the attempt's comments may not.)
    assert!(!passed, "{output}");
    for point in [
        "✗ a comment written while moderation was down waited for it",
        "✗ every comment of the attempt was moderated, exactly once",
    ] {
        assert!(output.contains(point), "{point}: {output}");
    }

    // The steps: moderation crashes, comments are written, time passes, it comes back.
    system.kill_instance(moderation).await;
    let path = format!("/posts/{post}/comments");
    for (n, content) in ["first", "second"].iter().enumerate() {
        let (status, body) = system
            .post(
                comments,
                &path,
                &format!("c{n}"),
                json!({ "content": content }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    // The exercise itself is to let moderation stay down a while (the check wants 3 s).
    tokio::time::sleep(Duration::from_secs(4)).await;
    system.start_instance(Kind::Moderation).await;

    eventually("exercise 01's check passes", || async {
        let (passed, output) = check("01", query_port, &progress);
        passed && output.contains("4 passed, 0 failed")
    })
    .await;
    let _ = std::fs::remove_file(&progress);
}
