//! Retries exhausted: a comment whose moderation was dead-lettered says so on `/posts`;
//! query re-drives dead letters by itself a bounded number of times, then leaves them to a
//! person; "retry all"; and the retry routes refuse what a foreign page could send.
//!
//! (Longer than 300 lines on purpose: each test walks one letter's whole life — given up,
//! shown, re-driven or exhausted, retried — and reads best in one place.)
//!
//! Moderation's consumer gives up after 5 deliveries about 7 s apart in all (its backoff),
//! so each generation of a letter takes that long: these tests wait longer than
//! [`DEADLINE`] where a chain of letters is involved.

use crate::helpers::{eventually_within, statuses, Service, TestSystem, DEADLINE};
use query::redrive::Policy;
use serde_json::{json, Value};
use std::time::Duration;

/// Long enough for three generations of a letter (3 × ~7.3 s, plus the re-drive delays).
const CHAIN_DEADLINE: Duration = Duration::from_secs(60);

/// A system whose moderation always fails and whose query re-drives with `redrive`.
async fn with_failing_moderation(redrive: Policy) -> TestSystem {
    let mut system = TestSystem::with_broker_only();
    system.moderation_knobs.fail_first = 100;
    system.query_redrive = redrive;
    for service in [
        Service::Posts,
        Service::Comments,
        Service::Moderation,
        Service::Query,
    ] {
        system.start_service(service).await;
    }
    system
}

/// Polls `GET path` on query until `check` holds, for up to `deadline`.
async fn query_get_until(
    system: &TestSystem,
    path: &str,
    what: &str,
    deadline: Duration,
    check: impl Fn(&Value) -> bool,
) -> Value {
    eventually_within(deadline, what, || async {
        match system.get_json(Service::Query, path).await {
            (200, body) if check(&body) => Ok(body),
            (status, body) => Err(format!("{status} {body}")),
        }
    })
    .await
}

/// The comment `id` in a `/posts` answer.
fn comment<'a>(posts: &'a Value, id: &str) -> Option<&'a Value> {
    posts
        .as_array()?
        .iter()
        .flat_map(|p| p["comments"].as_array().into_iter().flatten())
        .find(|c| c["id"] == id)
}

fn letters(system: &Value) -> Vec<Value> {
    system["deadLetters"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Restarts moderation without its failure knob: the cause is gone.
async fn heal_moderation(system: &mut TestSystem) {
    system.stop(Service::Moderation).await;
    system.moderation_knobs.fail_first = 0;
    system.start_service(Service::Moderation).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comment_moderation_gave_up_on_says_why_and_the_automatic_retry_heals_it() {
    let mut system = with_failing_moderation(Policy::new(vec![Duration::from_secs(3)])).await;
    let post = system.create_post("stuck").await;
    let stuck = system.create_comment(&post, "moderate me").await;

    let posts = query_get_until(
        &system,
        "/posts",
        "the gave-up info on the comment",
        DEADLINE,
        |p| comment(p, &stuck).is_some_and(|c| c["moderation"]["error"].is_string()),
    )
    .await;
    let seen = comment(&posts, &stuck).cloned().unwrap_or_default();
    assert_eq!(seen["status"], "pending", "{seen}");
    let moderation = &seen["moderation"];
    assert_eq!(moderation["gaveUp"], true, "{seen}");
    assert_eq!(moderation["consumer"], "moderation");
    assert!(
        moderation["error"]
            .as_str()
            .is_some_and(|e| e.contains("simulated failure")),
        "{seen}"
    );
    assert_eq!(
        (moderation["state"].as_str(), moderation["retries"].as_u64()),
        (Some("scheduled"), Some(0))
    );
    assert_eq!(moderation["maxRetries"], 1);
    assert!(moderation["nextRetryAt"].is_string(), "{seen}");
    let letter = moderation["deadLetter"].as_u64().expect("the letter's id");

    // The cause goes away; query's automatic retry (3 s after the letter) heals it.
    heal_moderation(&mut system).await;
    let posts = query_get_until(
        &system,
        "/posts",
        "the comment approved by the re-drive",
        DEADLINE,
        |p| comment(p, &stuck).is_some_and(|c| c["status"] == "approved"),
    )
    .await;
    let healed = comment(&posts, &stuck).cloned().unwrap_or_default();
    assert!(
        healed.get("moderation").is_none(),
        "a decision clears it: {healed}"
    );
    let view = system
        .system_until("the letter shown as retried", |s| {
            letters(s).iter().any(|l| {
                l["id"] == letter && l["retried"] == true && l["redrive"]["state"] == "retried"
            })
        })
        .await;
    assert_eq!(letters(&view).len(), 1, "healed at the first retry: {view}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_automatic_retries_stop_at_the_bound_and_say_a_person_must_look() {
    let system = with_failing_moderation(Policy::new(vec![Duration::from_millis(500); 2])).await;
    let post = system.create_post("hopeless").await;
    let stuck = system.create_comment(&post, "never moderated").await;

    // Letter, retry, the copy's letter, retry, its copy's letter: generations 0, 1, 2.
    let posts = query_get_until(
        &system,
        "/posts",
        "the retries exhausted",
        CHAIN_DEADLINE,
        |p| comment(p, &stuck).is_some_and(|c| c["moderation"]["state"] == "exhausted"),
    )
    .await;
    let moderation = comment(&posts, &stuck)
        .map(|c| c["moderation"].clone())
        .unwrap_or_default();
    assert_eq!(
        (
            moderation["retries"].as_u64(),
            moderation["maxRetries"].as_u64()
        ),
        (Some(2), Some(2)),
        "{moderation}"
    );
    assert!(moderation.get("nextRetryAt").is_none(), "{moderation}");

    let view = system
        .system_until("three letters", |s| letters(s).len() == 3)
        .await;
    let states: Vec<(Value, Value)> = letters(&view)
        .iter()
        .map(|l| {
            (
                l["redrive"]["state"].clone(),
                l["redrive"]["retries"].clone(),
            )
        })
        .collect();
    // Newest first.
    assert_eq!(
        states,
        [
            (json!("exhausted"), json!(2)),
            (json!("retried"), json!(1)),
            (json!("retried"), json!(0))
        ]
    );

    // Nothing more happens by itself: no fourth letter, the last one not retried.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (_, later) = system.query_system().await;
    assert_eq!(letters(&later).len(), 3, "{later}");
    assert_eq!(letters(&later)[0]["retried"], false, "{later}");
    let (_, posts) = system.get_json(Service::Query, "/posts").await;
    assert_eq!(statuses(&posts)[&stuck], "pending");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_all_puts_every_letter_back() {
    let mut system = with_failing_moderation(Policy::off()).await;
    let post = system.create_post("two stuck").await;
    let first = system.create_comment(&post, "one").await;
    let second = system.create_comment(&post, "two").await;
    let posts = system
        .query_until("both comments gave up", |p| {
            [&first, &second]
                .iter()
                .all(|id| comment(p, id).is_some_and(|c| c["moderation"]["state"] == "manual"))
        })
        .await;
    assert_eq!(statuses(&posts)[&first], "pending");

    heal_moderation(&mut system).await;
    let (status, answer) = system.retry_all_dead_letters().await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(
        answer["retried"].as_array().map(Vec::len),
        Some(2),
        "{answer}"
    );
    assert_eq!(answer["failed"], json!([]));
    system
        .query_until("both approved", |p| {
            [&first, &second]
                .iter()
                .all(|id| statuses(p).get(*id).is_some_and(|s| s == "approved"))
        })
        .await;
    system
        .system_until("both letters retried", |s| {
            letters(s).iter().all(|l| l["retried"] == true)
        })
        .await;

    let (status, again) = system.retry_all_dead_letters().await;
    assert_eq!(
        (status, again["retried"].clone()),
        (202, json!([])),
        "nothing left to retry"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_needs_a_json_body_and_an_allowed_origin() {
    let system = TestSystem::start().await;
    // A message that is not an event: moderation terminates it at once, a dead letter.
    let js = system.jetstream().await;
    js.publish("comments.CommentCreated.junk", "not an event".into())
        .await
        .expect("publish")
        .await
        .expect("stored");
    let seen = system
        .system_until("a dead letter", |s| !letters(s).is_empty())
        .await;
    let letter = letters(&seen)[0].clone();
    assert_eq!(
        letter["redrive"]["state"], "manual",
        "a terminated letter waits for a person: {letter}"
    );
    let id = letter["id"].as_u64().expect("an id");

    let one = system.url(Service::Query, &format!("/deadletters/{id}/retry"));
    let all = system.url(Service::Query, "/deadletters/retry-all");
    for url in [&one, &all] {
        // What a plain HTML form could send: no body, or a form-encoded / text one.
        let bare = system
            .http
            .post(url.as_str())
            .send()
            .await
            .expect("answers");
        assert_eq!(bare.status(), 415);
        let error: Value = bare.json().await.expect("a JSON error");
        assert!(error["error"].is_string(), "{error}");
        let form = system
            .http
            .post(url.as_str())
            .header("content-type", "text/plain")
            .body("{}")
            .send()
            .await;
        assert_eq!(form.expect("answers").status(), 415);
        let empty = system
            .http
            .post(url.as_str())
            .header("content-type", "application/json")
            .send()
            .await;
        assert_eq!(empty.expect("answers").status(), 400);

        // JSON from a page of another origin.
        let foreign = system
            .http
            .post(url.as_str())
            .header("origin", "http://evil.example")
            .json(&json!({}));
        let foreign = foreign.send().await.expect("answers");
        assert_eq!(foreign.status(), 403);
        let error: Value = foreign.json().await.expect("a JSON error");
        assert!(
            error["error"]
                .as_str()
                .is_some_and(|e| e.contains("http://evil.example")),
            "{error}"
        );
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, view) = system.query_system().await;
    assert_eq!(
        letters(&view)[0]["retried"],
        false,
        "nothing was retried: {view}"
    );

    // The web client's origin may, after its preflight (which allows the JSON content type
    // and the idempotency key header).
    let preflight = system
        .http
        .request(reqwest::Method::OPTIONS, one.as_str())
        .header("origin", "http://127.0.0.1:3000")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,idempotency-key",
        )
        .send()
        .await
        .expect("answers");
    let allowed = preflight
        .headers()
        .get("access-control-allow-headers")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    assert!(
        allowed.contains("idempotency-key") && allowed.contains("content-type"),
        "{allowed:?}"
    );
    let ok = system
        .http
        .post(one.as_str())
        .header("origin", "http://127.0.0.1:3000")
        .json(&json!({}))
        .send()
        .await;
    assert_eq!(ok.expect("answers").status(), 202);
    system
        .system_until("the letter retried", |s| {
            letters(s)
                .iter()
                .any(|l| l["id"] == id && l["retried"] == true)
        })
        .await;
}
