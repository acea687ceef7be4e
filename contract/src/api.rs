//! The HTTP bodies of the write side: what a client sends to posts and comments, what they
//! answer, and the one error shape every service answers with. And query's dead-letter
//! retries (its only writes).

use crate::events::CommentStatus;
use crate::ids::{CommentId, PostId};
use serde::{Deserialize, Serialize};

/// `POST /posts`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewPost {
    pub title: String,
}

/// A post, as posts answers `POST /posts` (201) and lists it in `GET /posts`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Post {
    pub id: PostId,
    pub title: String,
}

/// `POST /posts/{id}/comments`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewComment {
    pub content: String,
}

/// A comment, as comments answers `POST /posts/{id}/comments` (201, always `pending`) and
/// lists it in `GET /posts/{id}/comments`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    pub id: CommentId,
    pub post_id: PostId,
    pub content: String,
    pub status: CommentStatus,
}

/// Every 4xx and 5xx answer: `{"error": "..."}`, worded for a person.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

/// The body a dead-letter retry wants: a JSON object (`{}`); nothing in it is read. It
/// exists to be JSON, which a plain HTML form cannot send.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RetryRequest {}

/// One dead letter put back: where its message's copy landed (202).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Retried {
    pub dead_letter: u64,
    pub stream: String,
    pub republished_sequence: u64,
}

/// One dead letter that could not be put back, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotRetried {
    pub dead_letter: u64,
    pub error: String,
}

/// `POST /deadletters/retry-all` (202).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RetriedAll {
    pub retried: Vec<Retried>,
    #[serde(default)]
    pub failed: Vec<NotRetried>,
}
