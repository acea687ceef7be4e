//! Carrying out the fault schedule against the running system, and recording when each
//! fault really started and ended (a restart can take a while on a loaded machine).

use crate::faults::{Fault, FaultKind, Target};
use crate::history::Clock;
use crate::system::System;
use harness::process::Signal;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// How long a graceful stop may take before it becomes a SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// One fault as it happened.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Injected {
    pub fault: Fault,
    pub started_ms: u64,
    pub healed_ms: u64,
    /// Anything that did not go to plan (a restart that failed, a stop that needed SIGKILL).
    pub notes: Vec<String>,
}

/// Runs every fault of `schedule` at its time (each in its own task, so they overlap as
/// scheduled) and returns what happened.
///
/// Faults on one process never overlap, even when a loaded machine makes one run late: each
/// holds its target's lock from start to heal. (Without it, a late SIGCONT could find the
/// process already taken by the next fault's graceful stop, leaving it frozen.)
pub async fn run(system: Arc<Mutex<System>>, schedule: Vec<Fault>, clock: Clock) -> Vec<Injected> {
    let mut locks: HashMap<Target, Arc<Mutex<()>>> = HashMap::new();
    let tasks = schedule.into_iter().map(|fault| {
        let system = system.clone();
        let target = locks.entry(fault.target).or_default().clone();
        tokio::spawn(async move {
            tokio::time::sleep_until((clock.started() + fault.at).into()).await;
            let _only_fault_on_target = target.lock().await;
            inject(&system, fault, clock).await
        })
    });
    let mut done = Vec::new();
    for task in futures::future::join_all(tasks).await {
        match task {
            Ok(injected) => done.push(injected),
            Err(error) => eprintln!("chaos: a fault task failed: {error}"),
        }
    }
    done
}

async fn inject(system: &Mutex<System>, fault: Fault, clock: Clock) -> Injected {
    let started_ms = clock.ms();
    let mut notes = Vec::new();
    let mut note = |result: anyhow::Result<()>| {
        if let Err(error) = result {
            notes.push(format!("{error:#}"));
        }
    };
    let target = fault.target;
    match fault.kind {
        FaultKind::Pause => {
            note(system.lock().await.signal(target, Signal::STOP));
            tokio::time::sleep(fault.length).await;
            note(system.lock().await.signal(target, Signal::CONT));
        }
        FaultKind::Kill | FaultKind::Stop => {
            // Taken out of the system first, so it counts as down on purpose, not crashed.
            let child = system.lock().await.take(target);
            match child {
                Ok(Some(mut child)) => {
                    let signal = if fault.kind == FaultKind::Kill {
                        Signal::KILL
                    } else {
                        Signal::TERM
                    };
                    note(child.signal(signal));
                    match child.wait_exit(STOP_GRACE).await {
                        Ok(true) => {}
                        Ok(false) => {
                            note(Err(anyhow::anyhow!("{target} ignored {signal:?}; killed")))
                        }
                        Err(error) => note(Err(error)),
                    }
                    // Dropping the guard reaps the process (and kills it, if it still runs).
                    drop(child);
                }
                Ok(None) => note(Err(anyhow::anyhow!("{target} was already down"))),
                Err(error) => note(Err(error)),
            }
            tokio::time::sleep(fault.length).await;
            note(system.lock().await.restart(target));
        }
    }
    Injected {
        fault,
        started_ms,
        healed_ms: clock.ms(),
        notes,
    }
}
