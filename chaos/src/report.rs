//! The report: operations by outcome, the faults as they happened, each check with its count
//! of violations, the violations themselves (naming the operations involved), and the one
//! summary line a script or a person reads first.

use crate::checker::{Check, Class, Verdict, Violation};
use crate::history::{Counts, Kind, Operation, Outcome};
use crate::inject::Injected;
use std::fmt::Write;
use std::time::Duration;

/// Violations shown on the terminal; all of them are in the run folder's `report.txt`.
const SHOWN: usize = 25;

pub struct Report<'a> {
    pub seed: u64,
    pub operations: &'a [Operation],
    pub faults: &'a [Injected],
    pub verdict: &'a Verdict,
    pub converged: Option<Duration>,
    pub deadline: Duration,
}

impl Report<'_> {
    /// The whole report; `all` lists every violation instead of the first few.
    pub fn render(&self, all: bool) -> String {
        let mut out = String::new();
        self.operations_table(&mut out);
        self.faults_table(&mut out);
        self.checks_table(&mut out);
        self.violations(&mut out, all);
        out.push('\n');
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    /// `chaos: seed S, N writes (A acknowledged, U unknown, F failed), L lost, D duplicated,
    /// W wrong status, converged in X s`
    pub fn summary(&self) -> String {
        let counts = Counts::of(self.operations);
        let converged = match self.converged {
            Some(time) => format!("converged in {:.1} s", time.as_secs_f64()),
            None => format!("did not converge in {} s", self.deadline.as_secs()),
        };
        format!(
            "chaos: seed {}, {} writes ({} acknowledged, {} unknown, {} failed), {} lost, {} duplicated, {} wrong status, {converged}",
            self.seed,
            counts.total(),
            counts.acknowledged,
            counts.unknown,
            counts.failed,
            self.verdict.count(Class::Lost),
            self.verdict.count(Class::Duplicated),
            self.verdict.count(Class::WrongStatus),
        )
    }

    fn operations_table(&self, out: &mut String) {
        let count = |kind: Kind, outcome: fn(&Outcome) -> bool| {
            self.operations
                .iter()
                .filter(|op| op.kind == kind && outcome(&op.outcome()))
                .count()
        };
        let retried = |kind: Kind| {
            self.operations
                .iter()
                .filter(|op| op.kind == kind && op.attempts.len() > 1)
                .count()
        };
        let _ = writeln!(out, "\nOperations\n");
        let _ = writeln!(out, "| outcome | posts | comments |");
        let _ = writeln!(out, "| --- | ---: | ---: |");
        type Row = (&'static str, fn(&Outcome) -> bool);
        let rows: [Row; 3] = [
            ("acknowledged (201)", |o| {
                matches!(o, Outcome::Acknowledged(_))
            }),
            ("outcome unknown", |o| *o == Outcome::Unknown),
            ("failed definitely", |o| *o == Outcome::Failed),
        ];
        for (label, outcome) in rows {
            let _ = writeln!(
                out,
                "| {label} | {} | {} |",
                count(Kind::Post, outcome),
                count(Kind::Comment, outcome)
            );
        }
        let _ = writeln!(
            out,
            "| retried at least once | {} | {} |",
            retried(Kind::Post),
            retried(Kind::Comment)
        );
    }

    fn faults_table(&self, out: &mut String) {
        let _ = writeln!(out, "\nFaults ({})\n", self.faults.len());
        let _ = writeln!(out, "| start s | healed s | target | fault | notes |");
        let _ = writeln!(out, "| ---: | ---: | --- | --- | --- |");
        for injected in self.faults {
            let _ = writeln!(
                out,
                "| {:.1} | {:.1} | {} | {} | {} |",
                injected.started_ms as f64 / 1000.0,
                injected.healed_ms as f64 / 1000.0,
                injected.fault.target,
                injected.fault.kind.label(),
                injected.notes.join("; ")
            );
        }
    }

    fn checks_table(&self, out: &mut String) {
        let _ = writeln!(out, "\nChecks\n");
        let _ = writeln!(out, "| check | violations |");
        let _ = writeln!(out, "| --- | ---: |");
        for check in Check::ALL {
            let _ = writeln!(out, "| {} | {} |", check.describe(), self.verdict.of(check));
        }
    }

    fn violations(&self, out: &mut String, all: bool) {
        let violations = &self.verdict.violations;
        if violations.is_empty() {
            return;
        }
        // The same finding in several views is one line naming the views.
        let mut grouped: Vec<(&Violation, Vec<&str>)> = Vec::new();
        for violation in violations {
            let same = |(v, _): &&mut (&Violation, Vec<&str>)| {
                (v.check, &v.operation, &v.detail)
                    == (violation.check, &violation.operation, &violation.detail)
            };
            match grouped.iter_mut().find(same) {
                Some((_, views)) => views.extend(violation.view.as_deref()),
                None => grouped.push((violation, violation.view.as_deref().into_iter().collect())),
            }
        }
        let _ = writeln!(
            out,
            "\nViolations ({}, {} distinct)\n",
            violations.len(),
            grouped.len()
        );
        let shown = if all { grouped.len() } else { SHOWN };
        for (violation, views) in grouped.iter().take(shown) {
            let _ = write!(out, "- [{}]", violation.check.name());
            if let Some(op) = &violation.operation {
                let _ = write!(out, " {op}");
            }
            if !views.is_empty() {
                let _ = write!(out, " in {}", views.join(", "));
            }
            let _ = writeln!(out, ": {}", violation.detail);
        }
        if grouped.len() > shown {
            let _ = writeln!(
                out,
                "- … and {} more (all in report.txt)",
                grouped.len() - shown
            );
        }
        // The operations involved, with every attempt, so a failure can be understood
        // without opening the history.
        let mut involved: Vec<&str> = violations
            .iter()
            .filter_map(|v| v.operation.as_deref())
            .collect();
        involved.sort_unstable();
        involved.dedup();
        let _ = writeln!(out, "\nOperations involved ({})\n", involved.len());
        for id in involved.iter().take(shown) {
            if let Some(op) = self.operations.iter().find(|op| op.id == *id) {
                let attempts: Vec<String> = op
                    .attempts
                    .iter()
                    .map(|a| {
                        format!(
                            "{:.1} s: {}",
                            a.sent_ms as f64 / 1000.0,
                            serde_json::to_string(&a.answer).unwrap_or_default()
                        )
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "- {id} {:?} key {} {:?}: {}",
                    op.kind,
                    op.key,
                    op.text,
                    attempts.join(" → ")
                );
            }
        }
    }
}
