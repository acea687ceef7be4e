//! The checker: the history and the system's final state in, violations out. Pure — no I/O —
//! so its tests (the self-test) feed it constructed histories with a lost write, a duplicate
//! and a wrong status, and assert it reports each.
//!
//! Every view of the system is checked against the history on its own: posts' `GET /posts`,
//! comments' `GET /posts/{id}/comments`, each query instance's `GET /posts` (and a fresh
//! instance replayed from the streams after the run), and the streams themselves. An
//! operation is found in a view by the token in its text (see [`crate::history`]).
//!
//! [`state`] holds what the checker is given, [`verdict`] what it says; this file decides.

mod state;
mod verdict;

pub use state::{streams_view, CommentEntry, FinalState, Holds, PostEntry, StreamFacts, View};
pub use verdict::{Check, Class, Verdict, Violation};

use crate::history::{operation_in, Kind, Operation, Outcome};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The status the moderation rule gives a comment.
pub fn expected_status(content: &str) -> &'static str {
    if content.to_lowercase().contains("orange") {
        "rejected"
    } else {
        "approved"
    }
}

/// Checks the final state against the history.
pub fn check(operations: &[Operation], state: &FinalState) -> Verdict {
    let mut violations = Vec::new();
    let streams = streams_view(&state.streams);
    for view in state.views.iter().chain(std::iter::once(&streams)) {
        check_view(operations, view, &mut violations);
    }
    check_effects(operations, &streams, &state.streams, &mut violations);
    check_read_models(&state.views, &mut violations);
    if state.converged.is_none() {
        violations.push(other(
            Check::Converged,
            "the system had not settled by the deadline".into(),
        ));
    }
    for crash in &state.crashes {
        violations.push(other(Check::NoCrash, crash.clone()));
    }
    Verdict { violations }
}

fn other(check: Check, detail: String) -> Violation {
    Violation {
        check,
        class: Class::Other,
        operation: None,
        view: None,
        detail,
    }
}

/// Where each operation's token appears in `view`: operation id → (entry id, status).
fn found_in<'v>(view: &'v View, kind: Kind) -> HashMap<&'v str, Vec<(&'v str, Option<&'v str>)>> {
    let mut found: HashMap<&str, Vec<(&str, Option<&str>)>> = HashMap::new();
    let mut add = |text: &'v str, id: &'v str, status: Option<&'v str>| {
        if let Some(operation) = operation_in(text) {
            found.entry(operation).or_default().push((id, status));
        }
    };
    match kind {
        Kind::Post => view.posts.iter().for_each(|p| add(&p.title, &p.id, None)),
        Kind::Comment => view
            .comments
            .iter()
            .for_each(|c| add(&c.content, &c.id, Some(&c.status))),
    }
    found
}

fn check_view(operations: &[Operation], view: &View, violations: &mut Vec<Violation>) {
    let posts = found_in(view, Kind::Post);
    let comments = found_in(view, Kind::Comment);
    for op in operations {
        let held = match (op.kind, view.holds) {
            (Kind::Post, Holds::Comments) | (Kind::Comment, Holds::Posts) => continue,
            (Kind::Post, _) => &posts,
            (Kind::Comment, _) => &comments,
        };
        let present = held
            .get(op.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let violation = |check, class, detail: String| Violation {
            check,
            class,
            operation: Some(op.id.clone()),
            view: Some(view.name.clone()),
            detail,
        };
        let ids = || {
            present
                .iter()
                .map(|(id, _)| *id)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match op.outcome() {
            Outcome::Acknowledged(id) if !present.iter().any(|(p, _)| *p == id) => {
                let seen = if present.is_empty() {
                    String::new()
                } else {
                    format!(" (present as {})", ids())
                };
                violations.push(violation(
                    Check::AcknowledgedPresent,
                    Class::Lost,
                    format!("acknowledged {:?} {id} is missing{seen}", op.kind),
                ));
            }
            Outcome::Failed if !present.is_empty() => violations.push(violation(
                Check::FailedAbsent,
                Class::Other,
                format!("failed definitely, but present as {}", ids()),
            )),
            _ => {}
        }
        if present.len() > 1 {
            violations.push(violation(
                Check::PresentAtMostOnce,
                Class::Duplicated,
                format!("present {} times: {}", present.len(), ids()),
            ));
        }
        let expected = expected_status(&op.text);
        for (id, status) in present {
            if let Some(status) = status.filter(|s| *s != expected) {
                violations.push(violation(
                    Check::Status,
                    Class::WrongStatus,
                    format!("comment {id} is {status}, the rule says {expected}"),
                ));
            }
        }
    }
}

/// Exactly one decision and one update per stored comment, both with the rule's status.
fn check_effects(
    operations: &[Operation],
    streams: &View,
    facts: &StreamFacts,
    violations: &mut Vec<Violation>,
) {
    let mut decisions: HashMap<&str, Vec<&str>> = HashMap::new();
    for (id, status) in &facts.moderated {
        decisions.entry(id).or_default().push(status);
    }
    let mut updates: HashMap<&str, Vec<(&str, u64)>> = HashMap::new();
    for (id, status, version) in &facts.updated {
        updates.entry(id).or_default().push((status, *version));
    }
    let texts: HashMap<&str, &Operation> =
        operations.iter().map(|op| (op.id.as_str(), op)).collect();
    for comment in &streams.comments {
        let Some(op) = operation_in(&comment.content).and_then(|id| texts.get(id)) else {
            continue;
        };
        let expected = expected_status(&op.text);
        let violation = |check, class, detail: String| Violation {
            check,
            class,
            operation: Some(op.id.clone()),
            view: Some("streams".into()),
            detail: format!("comment {}: {detail}", comment.id),
        };
        let decided = decisions
            .get(comment.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        match decided.len() {
            0 => violations.push(violation(
                Check::OneDecision,
                Class::WrongStatus,
                "never moderated".into(),
            )),
            1 => {}
            n => violations.push(violation(
                Check::OneDecision,
                Class::Duplicated,
                format!("moderated {n} times ({})", decided.join(", ")),
            )),
        }
        if let Some(wrong) = decided.iter().find(|s| **s != expected) {
            violations.push(violation(
                Check::Status,
                Class::WrongStatus,
                format!("decided {wrong}, the rule says {expected}"),
            ));
        }
        let updated = updates
            .get(comment.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        if updated.len() > 1 {
            let versions: Vec<String> = updated.iter().map(|(s, v)| format!("v{v} {s}")).collect();
            violations.push(violation(
                Check::OneUpdate,
                Class::Duplicated,
                format!("{} CommentUpdated: {}", updated.len(), versions.join(", ")),
            ));
        } else if updated.is_empty() {
            violations.push(violation(
                Check::OneUpdate,
                Class::WrongStatus,
                "no CommentUpdated".into(),
            ));
        }
    }
}

/// Every read model equals the first one (the fresh replay is one of them).
fn check_read_models(views: &[View], violations: &mut Vec<Violation>) {
    let mut models = views.iter().filter(|v| v.is_read_model);
    let Some(first) = models.next() else { return };
    let reference = contents(first);
    for view in models {
        let this = contents(view);
        let differing: BTreeSet<&str> = reference
            .symmetric_difference(&this)
            .map(|entry| entry.0)
            .collect();
        if !differing.is_empty() {
            let sample: Vec<&str> = differing.iter().take(5).copied().collect();
            violations.push(other(
                Check::ReadModelsAgree,
                format!(
                    "{} differs from {} in {} posts (e.g. {})",
                    view.name,
                    first.name,
                    differing.len(),
                    sample.join(", ")
                ),
            ));
        }
    }
}

/// A read model as a set of (post id, what is known about it): order does not matter.
fn contents(view: &View) -> BTreeSet<(&str, String)> {
    let mut by_post: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for post in &view.posts {
        by_post
            .entry(&post.id)
            .or_default()
            .push(format!("title {}", post.title));
    }
    for c in &view.comments {
        by_post
            .entry(&c.post_id)
            .or_default()
            .push(format!("comment {} {} {}", c.id, c.content, c.status));
    }
    by_post
        .into_iter()
        .map(|(post, mut facts)| {
            facts.sort();
            (post, facts.join("\n"))
        })
        .collect()
}

#[cfg(test)]
mod self_test;
