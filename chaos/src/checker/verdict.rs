//! What the checker says: the checks, and each violation with the operation and the view
//! involved.

use std::collections::BTreeSet;

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
