//! The checker's self-test: histories with a known fault in them — a lost write, a
//! duplicated comment, a wrong status, a second decision, a write that failed but is there,
//! a read model that disagrees — and the assertion that the checker reports each, and
//! nothing on the healthy history they all start from.

use super::*;
use crate::history::{Answer, Attempt};
use std::time::Duration;

fn attempt(answer: Answer) -> Attempt {
    Attempt {
        sent_ms: 10,
        answered_ms: 20,
        answer,
    }
}

fn created(id: &str) -> Answer {
    Answer::Created { id: id.into() }
}

fn unknown() -> Answer {
    Answer::Unknown {
        reason: "timeout".into(),
    }
}

fn failed() -> Answer {
    Answer::Failed {
        status: 503,
        error: "nothing was written".into(),
    }
}

fn post(op: &str, answers: Vec<Answer>) -> Operation {
    Operation {
        id: op.into(),
        kind: Kind::Post,
        key: format!("key-{op}"),
        post_id: None,
        text: format!("post [{op}]"),
        attempts: answers.into_iter().map(attempt).collect(),
    }
}

fn comment(op: &str, text: &str, answers: Vec<Answer>) -> Operation {
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
fn history() -> Vec<Operation> {
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

fn entry(id: &str, op: &Operation, status: &str) -> CommentEntry {
    CommentEntry {
        id: id.into(),
        post_id: "p1".into(),
        content: op.text.clone(),
        status: status.into(),
    }
}

/// The final state the healthy history should leave: every view agrees.
fn healthy(ops: &[Operation]) -> FinalState {
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

fn view<'a>(state: &'a mut FinalState, name: &str) -> &'a mut View {
    state
        .views
        .iter_mut()
        .find(|v| v.name == name)
        .expect("a view of that name")
}

#[test]
fn a_healthy_history_passes() {
    let ops = history();
    let verdict = check(&ops, &healthy(&ops));
    assert!(verdict.passed(), "{:#?}", verdict.violations);
}

#[test]
fn a_lost_acknowledged_comment_is_reported() {
    let ops = history();
    let mut state = healthy(&ops);
    view(&mut state, "query-2")
        .comments
        .retain(|c| c.id != "k1");
    let verdict = check(&ops, &state);
    assert_eq!(verdict.count(Class::Lost), 1);
    assert!(verdict
        .violations
        .iter()
        .any(|v| v.check == Check::AcknowledgedPresent
            && v.operation.as_deref() == Some("c0-2")
            && v.view.as_deref() == Some("query-2")));
    // The instance also disagrees with the others now.
    assert_eq!(verdict.of(Check::ReadModelsAgree), 1);
}

#[test]
fn a_lost_post_in_the_stream_is_reported() {
    let ops = history();
    let mut state = healthy(&ops);
    state.streams.posts_created.clear();
    let verdict = check(&ops, &state);
    assert_eq!(verdict.count(Class::Lost), 1);
    assert!(verdict
        .violations
        .iter()
        .any(|v| v.view.as_deref() == Some("streams")));
}

#[test]
fn a_duplicated_comment_is_reported() {
    let ops = history();
    let mut state = healthy(&ops);
    // A retry stored the comment a second time, under a new id, everywhere.
    let twin = entry("k1-again", &ops[1], "approved");
    for view in &mut state.views {
        if view.holds != Holds::Posts {
            view.comments.push(twin.clone());
        }
    }
    state.streams.comments_created.push(CommentEntry {
        status: "pending".into(),
        ..twin
    });
    state
        .streams
        .moderated
        .push(("k1-again".into(), "approved".into()));
    state
        .streams
        .updated
        .push(("k1-again".into(), "approved".into(), 1));
    let verdict = check(&ops, &state);
    assert_eq!(verdict.count(Class::Duplicated), 1);
    assert_eq!(verdict.count(Class::Lost), 0);
    // Once in each of the four views with comments, and in the streams.
    assert_eq!(verdict.of(Check::PresentAtMostOnce), 5);
}

#[test]
fn an_unknown_write_stored_twice_is_a_duplicate_but_once_is_fine() {
    let mut ops = history();
    ops[0].attempts = vec![attempt(unknown()), attempt(unknown())];
    let state = healthy(&ops);
    assert!(
        check(&ops, &state).passed(),
        "an unknown write may be present once"
    );
    let mut state = healthy(&ops);
    state.streams.posts_created.push(PostEntry {
        id: "p1-again".into(),
        title: ops[0].text.clone(),
    });
    assert_eq!(check(&ops, &state).count(Class::Duplicated), 1);
}

#[test]
fn a_wrong_status_is_reported_in_views_and_decisions() {
    let ops = history();
    let mut state = healthy(&ops);
    for comment in &mut view(&mut state, "comments").comments {
        if comment.id == "k2" {
            comment.status = "approved".into();
        }
    }
    let verdict = check(&ops, &state);
    assert_eq!(verdict.count(Class::WrongStatus), 1);
    assert!(verdict
        .violations
        .iter()
        .any(|v| v.operation.as_deref() == Some("c1-1") && v.check == Check::Status));

    let mut state = healthy(&ops);
    state.streams.moderated[1].1 = "approved".into();
    assert_eq!(check(&ops, &state).of(Check::Status), 1);

    // A comment still pending after the run: moderated never, updated never.
    let mut state = healthy(&ops);
    state.streams.moderated.retain(|(id, _)| id != "k1");
    state.streams.updated.retain(|(id, _, _)| id != "k1");
    let verdict = check(&ops, &state);
    assert_eq!(verdict.count(Class::WrongStatus), 1);
    assert_eq!(verdict.of(Check::OneDecision), 1);
}

#[test]
fn a_second_decision_and_update_are_duplicates() {
    // What moderation with fresh event ids does on a redelivery.
    let ops = history();
    let mut state = healthy(&ops);
    state
        .streams
        .moderated
        .push(("k2".into(), "rejected".into()));
    state
        .streams
        .updated
        .push(("k2".into(), "rejected".into(), 2));
    let verdict = check(&ops, &state);
    assert_eq!(verdict.count(Class::Duplicated), 1);
    assert_eq!(
        (verdict.of(Check::OneDecision), verdict.of(Check::OneUpdate)),
        (1, 1)
    );
}

#[test]
fn a_definitely_failed_write_that_is_stored_is_reported() {
    let ops = history();
    let mut state = healthy(&ops);
    let ghost = PostEntry {
        id: "p2".into(),
        title: ops[3].text.clone(),
    };
    view(&mut state, "posts").posts.push(ghost);
    let verdict = check(&ops, &state);
    assert_eq!(verdict.of(Check::FailedAbsent), 1);
    assert!(!verdict.passed());
}

#[test]
fn read_models_that_disagree_an_unsettled_system_and_a_crash_are_reported() {
    let ops = history();
    let mut state = healthy(&ops);
    view(&mut state, "query-3 (fresh)").comments[0].status = "pending".into();
    state.converged = None;
    state.crashes.push("query-1 exited by itself".into());
    let verdict = check(&ops, &state);
    assert_eq!(verdict.of(Check::ReadModelsAgree), 1);
    assert_eq!(verdict.of(Check::Converged), 1);
    assert_eq!(verdict.of(Check::NoCrash), 1);
    assert_eq!(verdict.count(Class::WrongStatus), 1);
}
