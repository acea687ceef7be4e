//! The typed HTTP client: one method per endpoint of each service, so a test reads as what
//! it does (`system.retry_dead_letter(id)`) rather than as a URL. Each answers the status
//! and the JSON body (`Null` when the body is not JSON); the generic verbs below them
//! remain for the tests that send malformed requests on purpose.

use super::service::Service;
use super::system::TestSystem;
use super::wait::eventually_some;
use serde_json::{json, Value};

/// A status and a JSON body.
pub type Answer = (u16, Value);

impl TestSystem {
    pub fn url(&self, service: Service, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port(service))
    }

    // --- every service ------------------------------------------------------------------

    /// `GET /health` on `service`: its status, `None` when it does not answer at all.
    pub async fn health(&self, service: Service) -> Option<u16> {
        let answer = self.http.get(self.url(service, "/health")).send().await;
        answer.ok().map(|r| r.status().as_u16())
    }

    // --- posts --------------------------------------------------------------------------

    /// Posts' `POST /posts`.
    pub async fn try_create_post(&self, title: &str) -> Answer {
        self.post_json(Service::Posts, "/posts", json!({ "title": title }))
            .await
    }

    /// Creates a post (failing the test unless it is created) and returns its id.
    pub async fn create_post(&self, title: &str) -> String {
        let (status, body) = self.try_create_post(title).await;
        assert_eq!(status, 201, "create post: {body}");
        body["id"].as_str().expect("an id").to_owned()
    }

    /// Posts' `GET /posts`.
    pub async fn list_posts(&self) -> Answer {
        self.get_json(Service::Posts, "/posts").await
    }

    // --- comments -----------------------------------------------------------------------

    /// Comments' `POST /posts/{post}/comments`.
    pub async fn try_create_comment(&self, post_id: &str, content: &str) -> Answer {
        let path = format!("/posts/{post_id}/comments");
        self.post_json(Service::Comments, &path, json!({ "content": content }))
            .await
    }

    /// Creates a comment (failing the test unless it is created) and returns its id.
    pub async fn create_comment(&self, post_id: &str, content: &str) -> String {
        let (status, body) = self.try_create_comment(post_id, content).await;
        assert_eq!(status, 201, "create comment: {body}");
        body["id"].as_str().expect("an id").to_owned()
    }

    /// Comments' `GET /posts/{post}/comments`.
    pub async fn list_comments(&self, post_id: &str) -> Answer {
        let path = format!("/posts/{post_id}/comments");
        self.get_json(Service::Comments, &path).await
    }

    // --- query (any instance) -----------------------------------------------------------

    /// Query's `GET /posts` (failing the test unless it answers 200).
    pub async fn query_posts(&self, query: Service) -> Value {
        let (status, body) = self.get_json(query, "/posts").await;
        assert_eq!(status, 200, "query GET /posts: {body}");
        body
    }

    /// Query's `GET /posts/{id}`.
    pub async fn query_post(&self, post_id: &str) -> Answer {
        let path = format!("/posts/{post_id}");
        self.get_json(Service::Query, &path).await
    }

    /// Query's `GET /system`.
    pub async fn query_system(&self) -> Answer {
        self.get_json(Service::Query, "/system").await
    }

    /// Query's `GET /comments/{id}/timeline`.
    pub async fn timeline(&self, comment_id: &str) -> Answer {
        let path = format!("/comments/{comment_id}/timeline");
        self.get_json(Service::Query, &path).await
    }

    /// Query's `POST /deadletters/{id}/retry`.
    pub async fn retry_dead_letter(&self, letter_id: u64) -> Answer {
        let path = format!("/deadletters/{letter_id}/retry");
        self.post_json(Service::Query, &path, json!({})).await
    }

    /// Query's `POST /deadletters/retry-all`.
    pub async fn retry_all_dead_letters(&self) -> Answer {
        self.post_json(Service::Query, "/deadletters/retry-all", json!({}))
            .await
    }

    // --- polling reads ------------------------------------------------------------------

    /// Polls query's `GET /posts` until `check` holds; returns that answer.
    pub async fn query_until(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        self.get_until(Service::Query, "/posts", what, check).await
    }

    /// Polls query's `GET /system` until `check` holds; returns that answer.
    pub async fn system_until(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        self.get_until(Service::Query, "/system", what, check).await
    }

    /// Polls `GET path` on `service` until it answers 200 and `check` holds.
    pub async fn get_until(
        &self,
        service: Service,
        path: &str,
        what: &str,
        check: impl Fn(&Value) -> bool,
    ) -> Value {
        eventually_some(what, || async {
            match self.get_json(service, path).await {
                (200, body) if check(&body) => Ok(body),
                (status, body) => Err(format!("{status} {body}")),
            }
        })
        .await
    }

    // --- the generic verbs ----------------------------------------------------------------

    pub async fn post_json(&self, service: Service, path: &str, body: Value) -> Answer {
        let request = self.http.post(self.url(service, path)).json(&body);
        answer(request).await
    }

    /// `POST path` with an `Idempotency-Key` header.
    pub async fn post_with_key(
        &self,
        service: Service,
        path: &str,
        key: &str,
        body: Value,
    ) -> Answer {
        let request = self
            .http
            .post(self.url(service, path))
            .header("idempotency-key", key)
            .json(&body);
        answer(request).await
    }

    pub async fn put_json(&self, service: Service, path: &str, body: Value) -> Answer {
        answer(self.http.put(self.url(service, path)).json(&body)).await
    }

    pub async fn get_json(&self, service: Service, path: &str) -> Answer {
        answer(self.http.get(self.url(service, path))).await
    }
}

/// Sends `request`; the service must answer (a refused connection fails the test).
async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("the service answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}
