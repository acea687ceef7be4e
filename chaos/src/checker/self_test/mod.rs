//! The checker's self-test: histories with a known fault in them — a lost write, a
//! duplicated comment, a wrong status, a second decision, a write that failed but is there,
//! a read model that disagrees — and the assertion that the checker reports each, and
//! nothing on the healthy history they all start from.

mod fixtures;

use super::*;
use fixtures::*;

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
