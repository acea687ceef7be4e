//! The checker: the history and the system's final state in, violations out. Pure — no I/O —
//! so its tests (the self-test) feed it constructed histories with a lost write, a duplicate
//! and a wrong status, and assert it reports each.
//!
//! Every view of the system is checked against the history on its own: posts' `GET /posts`,
//! comments' `GET /posts/{id}/comments`, each query instance's `GET /posts` (and a fresh
//! instance replayed from the streams after the run), and the streams themselves. An
//! operation is found in a view by the token in its text (see [`crate::history`]).

use crate::history::{operation_in, Kind, Operation, Outcome};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

/// One view of the system's data, as a list of posts and comments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    pub name: String,
    /// Whether this view holds posts, comments, or both.
    pub holds: Holds,
    pub posts: Vec<PostEntry>,
    pub comments: Vec<CommentEntry>,
    /// A query instance's read model: compared with the other instances'.
    pub is_read_model: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Holds {
    #[default]
    Both,
    Posts,
    Comments,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PostEntry {
    pub id: String,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CommentEntry {
    pub id: String,
    pub post_id: String,
    pub content: String,
    pub status: String,
}

/// What the streams hold, beside what is created (which becomes the "streams" view).
#[derive(Clone, Debug, Default)]
pub struct StreamFacts {
    pub posts_created: Vec<PostEntry>,
    /// Status `pending`, as created.
    pub comments_created: Vec<CommentEntry>,
    /// `CommentModerated`: comment id and decided status.
    pub moderated: Vec<(String, String)>,
    /// `CommentUpdated`: comment id, status, version.
    pub updated: Vec<(String, String, u64)>,
}

/// Everything observed after the run.
#[derive(Clone, Debug, Default)]
pub struct FinalState {
    pub views: Vec<View>,
    pub streams: StreamFacts,
    /// Time from the last fault (or last write) to a quiet, settled system; `None` if it
    /// never settled before the deadline.
    pub converged: Option<Duration>,
    /// Processes that exited although no fault stopped them.
    pub crashes: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Check {
    AcknowledgedPresent,
    PresentAtMostOnce,
    FailedAbsent,
    Status,
    OneDecision,
    OneUpdate,
    ReadModelsAgree,
    Converged,
    NoCrash,
}

impl Check {
    pub const ALL: [Check; 9] = [
        Check::AcknowledgedPresent,
        Check::PresentAtMostOnce,
        Check::FailedAbsent,
        Check::Status,
        Check::OneDecision,
        Check::OneUpdate,
        Check::ReadModelsAgree,
        Check::Converged,
        Check::NoCrash,
    ];

    pub fn describe(self) -> &'static str {
        match self {
            Check::AcknowledgedPresent => "every acknowledged write is in every view",
            Check::PresentAtMostOnce => "no write is in any view more than once",
            Check::FailedAbsent => "no write that failed definitely is anywhere",
            Check::Status => "every comment has the status the rule gives it, in every view",
            Check::OneDecision => "exactly one CommentModerated per comment",
            Check::OneUpdate => "exactly one CommentUpdated per comment",
            Check::ReadModelsAgree => "query instances agree with each other and a fresh replay",
            Check::Converged => "the system settled before the deadline",
            Check::NoCrash => "no process exited unless a fault stopped it",
        }
    }

    /// The short name `--expect` takes.
    pub fn name(self) -> &'static str {
        match self {
            Check::AcknowledgedPresent => "lost",
            Check::PresentAtMostOnce => "duplicated",
            Check::FailedAbsent => "failed-present",
            Check::Status => "wrong-status",
            Check::OneDecision => "one-decision",
            Check::OneUpdate => "one-update",
            Check::ReadModelsAgree => "read-models",
            Check::Converged => "converged",
            Check::NoCrash => "no-crash",
        }
    }
}

/// How a violation counts in the summary line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Lost,
    Duplicated,
    WrongStatus,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub check: Check,
    pub class: Class,
    /// The operation involved, if one is.
    pub operation: Option<String>,
    /// The view it was seen in, if it is about one.
    pub view: Option<String>,
    pub detail: String,
}

#[derive(Clone, Debug, Default)]
pub struct Verdict {
    pub violations: Vec<Violation>,
}

impl Verdict {
    /// Distinct operations with a violation of `class`.
    pub fn count(&self, class: Class) -> usize {
        let operations: BTreeSet<&str> = self
            .violations
            .iter()
            .filter(|v| v.class == class)
            .filter_map(|v| v.operation.as_deref())
            .collect();
        operations.len()
    }

    pub fn of(&self, check: Check) -> usize {
        self.violations.iter().filter(|v| v.check == check).count()
    }

    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}

/// The status the moderation rule gives a comment.
pub fn expected_status(content: &str) -> &'static str {
    if content.to_lowercase().contains("orange") {
        "rejected"
    } else {
        "approved"
    }
}

/// The streams as one more view: posts and comments as created, each comment with the
/// status of its newest `CommentUpdated` (or `pending` without one).
pub fn streams_view(facts: &StreamFacts) -> View {
    let mut newest: HashMap<&str, (u64, &str)> = HashMap::new();
    for (id, status, version) in &facts.updated {
        let entry = newest.entry(id).or_insert((*version, status));
        if *version > entry.0 {
            *entry = (*version, status);
        }
    }
    let comments = facts
        .comments_created
        .iter()
        .map(|c| CommentEntry {
            status: newest
                .get(c.id.as_str())
                .map_or("pending", |(_, s)| s)
                .to_owned(),
            ..c.clone()
        })
        .collect();
    View {
        name: "streams".into(),
        holds: Holds::Both,
        posts: facts.posts_created.clone(),
        comments,
        is_read_model: false,
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
