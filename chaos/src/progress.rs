//! The live progress line while the run goes: seconds, writes by outcome, retries, and which
//! processes are broken right now.

use crate::faults::Fault;
use crate::history::{Clock, Recorder};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// The live progress line: one line rewritten in place on a terminal, a line every ten
/// seconds otherwise (CI logs).
pub struct Progress {
    schedule: Vec<Fault>,
    duration: Duration,
    terminal: bool,
    last_line: std::sync::Mutex<Instant>,
}

impl Progress {
    pub fn new(duration: Duration, schedule: &[Fault]) -> Progress {
        Progress {
            schedule: schedule.to_vec(),
            duration,
            terminal: std::io::stderr().is_terminal(),
            last_line: std::sync::Mutex::new(Instant::now()),
        }
    }

    pub fn show(&self, clock: &Clock, recorder: &Recorder) {
        let now = Duration::from_millis(clock.ms());
        let counts = recorder.counts();
        let broken: Vec<String> = self
            .schedule
            .iter()
            .filter(|f| f.at <= now && now < f.ends())
            .map(|f| format!("{} {:?}", f.target, f.kind).to_lowercase())
            .collect();
        let line = format!(
            "[{:>4}/{} s] writes {} ({} acknowledged, {} unknown, {} failed; {} retries) | {}",
            now.as_secs(),
            self.duration.as_secs(),
            counts.total(),
            counts.acknowledged,
            counts.unknown,
            counts.failed,
            counts.retries,
            if broken.is_empty() {
                "all up".to_owned()
            } else {
                broken.join(", ")
            }
        );
        if self.terminal {
            eprint!("\r\x1b[2K{line}");
        } else {
            let mut last = self.last_line.lock().unwrap_or_else(|p| p.into_inner());
            if last.elapsed() >= Duration::from_secs(10) {
                eprintln!("{line}");
                *last = Instant::now();
            }
        }
    }

    pub fn done(&self) {
        if self.terminal {
            eprintln!();
        }
    }
}
