//! The healthy history every self-test starts from, and the helpers that build its
//! operations, answers and final state; each test then breaks one thing in it.

use crate::checker::*;
use crate::history::{Answer, Attempt};
use std::time::Duration;

pub(super) fn attempt(answer: Answer) -> Attempt {
    Attempt {
        sent_ms: 10,
        answered_ms: 20,
        answer,
    }
}

pub(super) fn created(id: &str) -> Answer {
    Answer::Created { id: id.into() }
}

pub(super) fn unknown() -> Answer {
    Answer::Unknown {
        reason: "timeout".into(),
    }
}

pub(super) fn failed() -> Answer {
    Answer::Failed {
        status: 503,
        error: "nothing was written".into(),
    }
}

pub(super) fn post(op: &str, answers: Vec<Answer>) -> Operation {
    Operation {
        id: op.into(),
        kind: Kind::Post,
        key: format!("key-{op}"),
        post_id: None,
        text: format!("post [{op}]"),
        attempts: answers.into_iter().map(attempt).collect(),
    }
}

pub(super) fn comment(op: &str, text: &str, answers: Vec<Answer>) -> Operation {
    Operation {
        id: op.into(),
        kind: Kind::Comment,
        key: format!("key-{op}"),
        post_id: Some("p1".into()),
        text: format!("{text} [{op}]"),
        attempts: answers.into_iter().map(attempt).collect(),
    }
}

/// A post p1 and two comments on it (one orange), all acknowledged after a retry or two,
/// plus one write that failed definitely and one whose outcome is unknown (and was not
/// stored).
pub(super) fn history() -> Vec<Operation> {
    vec![
        post("c0-1", vec![unknown(), created("p1")]),
        comment("c0-2", "a fine comment", vec![created("k1")]),
        comment(
            "c1-1",
            "an orange comment",
            vec![unknown(), unknown(), created("k2")],
        ),
        post("c1-2", vec![failed()]),
        comment("c1-3", "a fine comment", vec![unknown(), failed()]),
    ]
}

pub(super) fn entry(id: &str, op: &Operation, status: &str) -> CommentEntry {
    CommentEntry {
        id: id.into(),
        post_id: "p1".into(),
        content: op.text.clone(),
        status: status.into(),
    }
}

/// The final state the healthy history should leave: every view agrees.
pub(super) fn healthy(ops: &[Operation]) -> FinalState {
    let posts = vec![PostEntry {
        id: "p1".into(),
        title: ops[0].text.clone(),
    }];
    let comments = vec![
        entry("k1", &ops[1], "approved"),
        entry("k2", &ops[2], "rejected"),
    ];
    let query = |name: &str| View {
        name: name.into(),
        holds: Holds::Both,
        posts: posts.clone(),
        comments: comments.clone(),
        is_read_model: true,
    };
    FinalState {
        views: vec![
            View {
                name: "posts".into(),
                holds: Holds::Posts,
                posts: posts.clone(),
                ..View::default()
            },
            View {
                name: "comments".into(),
                holds: Holds::Comments,
                comments: comments.clone(),
                ..View::default()
            },
            query("query-1"),
            query("query-2"),
            query("query-3 (fresh)"),
        ],
        streams: StreamFacts {
            posts_created: posts.clone(),
            comments_created: comments
                .iter()
                .map(|c| CommentEntry {
                    status: "pending".into(),
                    ..c.clone()
                })
                .collect(),
            moderated: vec![
                ("k1".into(), "approved".into()),
                ("k2".into(), "rejected".into()),
            ],
            updated: vec![
                ("k1".into(), "approved".into(), 1),
                ("k2".into(), "rejected".into(), 1),
            ],
        },
        converged: Some(Duration::from_secs(2)),
        crashes: Vec::new(),
    }
}

pub(super) fn view<'a>(state: &'a mut FinalState, name: &str) -> &'a mut View {
    state
        .views
        .iter_mut()
        .find(|v| v.name == name)
        .expect("a view of that name")
}
