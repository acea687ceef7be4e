//! The clients: several at once, each writing posts and comments (some mentioning "orange")
//! over HTTP, every write with its own `Idempotency-Key`. A write whose outcome is open (a
//! 503, a timeout, a broken or refused connection) is retried with the same key, as a careful
//! client would, up to a bound; a definite answer (201 or a 4xx) ends it. With several
//! instances of a writer, each attempt goes to one of them at random, so a retry often lands
//! on another instance than the first try: the idempotency key must hold across instances.

use crate::history::{token, Answer, Attempt, Clock, Kind, Operation, Recorder};
use crate::rng::Rng;
use reqwest::StatusCode;
use serde::Deserialize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Attempts per write, the first included.
const MAX_ATTEMPTS: usize = 8;
/// Longer than a healthy write ever takes here, shorter than a frozen service stays frozen.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the clients write: the base URL of every instance of each writer.
#[derive(Clone, Debug)]
pub struct Endpoints {
    pub posts: Vec<String>,
    pub comments: Vec<String>,
}

/// Posts that got a 201, shared by the clients so they comment on each other's posts.
#[derive(Default)]
struct KnownPosts(Mutex<Vec<String>>);

impl KnownPosts {
    fn add(&self, id: String) {
        self.lock().push(id);
    }

    fn pick(&self, rng: &mut Rng) -> Option<String> {
        rng.pick(&self.lock()).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Runs `clients` clients until `until`; each finishes the write it is in.
pub async fn run(
    endpoints: Endpoints,
    clients: usize,
    rng: &mut Rng,
    until: Instant,
    recorder: Arc<Recorder>,
    clock: Clock,
) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()?;
    let posts = Arc::new(KnownPosts::default());
    let tasks: Vec<_> = (0..clients)
        .map(|n| {
            let client = Client {
                number: n,
                rng: rng.split(),
                http: http.clone(),
                endpoints: endpoints.clone(),
                posts: posts.clone(),
                recorder: recorder.clone(),
                clock,
            };
            tokio::spawn(client.run(until))
        })
        .collect();
    for task in futures::future::join_all(tasks).await {
        task?;
    }
    Ok(())
}

struct Client {
    number: usize,
    rng: Rng,
    http: reqwest::Client,
    endpoints: Endpoints,
    posts: Arc<KnownPosts>,
    recorder: Arc<Recorder>,
    clock: Clock,
}

impl Client {
    async fn run(mut self, until: Instant) {
        let mut written = 0;
        while Instant::now() < until {
            written += 1;
            let id = format!("c{}-{written}", self.number);
            let operation = self.next_operation(id);
            let operation = self.perform(operation).await;
            if let crate::history::Outcome::Acknowledged(post_id) = operation.outcome() {
                if operation.kind == Kind::Post {
                    self.posts.add(post_id);
                }
            }
            self.recorder.record(operation);
            // A person, not a load generator: the point is the faults, not the throughput.
            tokio::time::sleep(self.rng.millis(20, 120)).await;
        }
    }

    /// A post a quarter of the time (always, until there is one), else a comment on a known
    /// post; a fifth of the comments mention orange.
    fn next_operation(&mut self, id: String) -> Operation {
        let post = if self.rng.chance(0.25) {
            None
        } else {
            self.posts.pick(&mut self.rng)
        };
        let (kind, text) = match &post {
            None => (Kind::Post, format!("post {}", token(&id))),
            Some(_) if self.rng.chance(0.2) => {
                (Kind::Comment, format!("an orange comment {}", token(&id)))
            }
            Some(_) => (Kind::Comment, format!("a fine comment {}", token(&id))),
        };
        // A key unique to this write in this run; the same for all its attempts.
        let key = format!("chaos-{id}-{:x}", self.rng.next_u64());
        Operation {
            id,
            kind,
            key,
            post_id: post,
            text,
            attempts: Vec::new(),
        }
    }

    async fn perform(&mut self, mut operation: Operation) -> Operation {
        let mut backoff = Duration::from_millis(200);
        for _ in 0..MAX_ATTEMPTS {
            let instances = match operation.kind {
                Kind::Post => &self.endpoints.posts,
                Kind::Comment => &self.endpoints.comments,
            };
            let base = self.rng.pick(instances).cloned().unwrap_or_default();
            let sent_ms = self.clock.ms();
            let answer = self.send(&base, &operation).await;
            let retry = matches!(&answer, Answer::Unknown { .. })
                || matches!(&answer, Answer::Failed { status, .. } if *status == 0 || *status == 503);
            operation.attempts.push(Attempt {
                sent_ms,
                answered_ms: self.clock.ms(),
                answer,
            });
            if !retry {
                break;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
        operation
    }

    /// Sends one attempt of `operation` to the instance at `base`.
    async fn send(&self, base: &str, operation: &Operation) -> Answer {
        let (url, body) = match (&operation.kind, &operation.post_id) {
            (Kind::Post, _) => (
                format!("{base}/posts"),
                serde_json::json!({ "title": operation.text }),
            ),
            (Kind::Comment, Some(post)) => (
                format!("{base}/posts/{post}/comments"),
                serde_json::json!({ "content": operation.text }),
            ),
            (Kind::Comment, None) => {
                return Answer::Failed {
                    status: 0,
                    error: "a comment without a post".into(),
                }
            }
        };
        let sent = self
            .http
            .post(url)
            .header("Idempotency-Key", &operation.key)
            .json(&body)
            .send()
            .await;
        match sent {
            Ok(response) => classify(response.status(), response.text().await),
            // Refused: the request never left, so nothing can have been stored.
            Err(error) if error.is_connect() => Answer::Failed {
                status: 0,
                error: format!("not sent: {error}"),
            },
            Err(error) if error.is_timeout() => Answer::Unknown {
                reason: "timeout".into(),
            },
            Err(error) => Answer::Unknown {
                reason: format!("connection broke: {error}"),
            },
        }
    }
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
}

/// What an answer says about the write.
fn classify(status: StatusCode, body: Result<String, reqwest::Error>) -> Answer {
    let body = match body {
        Ok(body) => body,
        // The status came but the body broke off: a 201 we cannot read is still open.
        Err(error) => {
            return Answer::Unknown {
                reason: format!("{status}, body lost: {error}"),
            }
        }
    };
    if status == StatusCode::CREATED {
        return match serde_json::from_str::<Created>(&body) {
            Ok(created) => Answer::Created { id: created.id },
            Err(_) => Answer::Unknown {
                reason: format!("201 without an id: {body}"),
            },
        };
    }
    let error = serde_json::from_str::<ErrorBody>(&body)
        .map(|e| e.error)
        .unwrap_or(body);
    // A 503 is definite only when it says so ("nothing was written", or the service is still
    // starting); any other 503 may have stored the write.
    let definite = status != StatusCode::SERVICE_UNAVAILABLE
        || error.contains("nothing was written")
        || error.contains("is starting");
    if definite {
        Answer::Failed {
            status: status.as_u16(),
            error,
        }
    } else {
        Answer::Unknown {
            reason: format!("{status}: {error}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified_by_what_they_say_about_the_write() {
        let created = classify(StatusCode::CREATED, Ok(r#"{"id":"p1","title":"t"}"#.into()));
        assert_eq!(created, Answer::Created { id: "p1".into() });
        let open = classify(
            StatusCode::SERVICE_UNAVAILABLE,
            Ok(r#"{"error":"the event broker did not confirm the write in time (x); it may still be stored"}"#.into()),
        );
        assert!(matches!(open, Answer::Unknown { .. }));
        let down = classify(
            StatusCode::SERVICE_UNAVAILABLE,
            Ok(r#"{"error":"the event broker is unavailable (x); nothing was written, try again shortly"}"#.into()),
        );
        assert!(matches!(down, Answer::Failed { status: 503, .. }));
        let missing = classify(
            StatusCode::NOT_FOUND,
            Ok(r#"{"error":"there is no post"}"#.into()),
        );
        assert!(matches!(missing, Answer::Failed { status: 404, .. }));
    }
}
