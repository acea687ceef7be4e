//! The fault schedule: which process gets which fault, when, and for how long — all chosen
//! by the seed, so a run can be repeated. The schedule is printed before the run and kept in
//! the run folder.
//!
//! The kinds are the ways a process dies or stalls in real life: a crash (SIGKILL), a
//! freeze longer than the broker's ack wait (SIGSTOP … SIGCONT: its unacked messages are
//! redelivered to whoever asks next, and it then wakes up believing it still owns them), and
//! a graceful stop (SIGTERM). Faults overlap on purpose: two things at once is where
//! recovery code gets surprised.
//!
//! A target is a process slot, not a service name, so a cluster's NATS nodes and several
//! instances of a service are more targets, not more code.

use crate::rng::Rng;
use harness::services::Service;
use serde::Serialize;
use std::fmt;
use std::time::Duration;

/// A process the run can break.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// nats-server node `node` of a broker of `nodes` nodes (1 of 1 for a single server).
    Nats { node: u8, nodes: u8 },
    /// Instance `instance` (1, 2, …) of a service.
    Service { service: Service, instance: u8 },
}

impl Target {
    pub fn is_nats(self) -> bool {
        matches!(self, Target::Nats { .. })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Nats { nodes: 1, .. } => write!(f, "nats"),
            Target::Nats { node, .. } => write!(f, "nats-{node}"),
            Target::Service {
                service,
                instance: 1,
            } => write!(f, "{}", service.name()),
            Target::Service { service, instance } => write!(f, "{}-{instance}", service.name()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultKind {
    /// SIGKILL, then a restart after `length`.
    Kill,
    /// SIGSTOP, then SIGCONT after `length` (longer than the ack wait).
    Pause,
    /// SIGTERM (a graceful stop), then a restart after `length`.
    Stop,
}

impl FaultKind {
    pub const ALL: [FaultKind; 3] = [FaultKind::Kill, FaultKind::Pause, FaultKind::Stop];

    /// The name `--kinds` takes.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Kill => "kill",
            FaultKind::Pause => "pause",
            FaultKind::Stop => "stop",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FaultKind::Kill => "SIGKILL + restart",
            FaultKind::Pause => "SIGSTOP/SIGCONT",
            FaultKind::Stop => "graceful stop + restart",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Fault {
    /// When it starts, from the start of the workload.
    pub at: Duration,
    pub kind: FaultKind,
    pub target: Target,
    /// How long the process stays down or frozen.
    pub length: Duration,
}

impl Fault {
    pub fn ends(&self) -> Duration {
        self.at + self.length
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>6.1} s  {:<10} {:<24} for {:.1} s",
            self.at.as_secs_f64(),
            self.target.to_string(),
            self.kind.label(),
            self.length.as_secs_f64()
        )
    }
}

/// What the schedule is drawn from.
#[derive(Clone, Debug)]
pub struct Window {
    /// Faults start no earlier than this…
    pub from: Duration,
    /// …and are all over (healed) by this.
    pub until: Duration,
    /// The consumers' ack wait: a pause lasts longer than this.
    pub ack_wait: Duration,
    pub targets: Vec<Target>,
    /// The kinds of fault to draw from (all three unless narrowed).
    pub kinds: Vec<FaultKind>,
}

/// The seeded schedule: a fault every 1.5–5 s, each on a target that is not already broken,
/// lasting 0.5–3 s (down) or the ack wait + 1–3 s (frozen). With lengths longer than the
/// gaps, faults overlap. The broker keeps its quorum: at most one of its nodes is broken at a
/// time (a cluster of three survives the loss of one, not two; losing two is an outage, not
/// a fault to recover from).
pub fn schedule(rng: &mut Rng, window: &Window) -> Vec<Fault> {
    let mut faults: Vec<Fault> = Vec::new();
    let mut at = window.from;
    while at < window.until {
        let drawn = match rng.below(10) {
            0..=3 => FaultKind::Kill,
            4..=6 => FaultKind::Pause,
            _ => FaultKind::Stop,
        };
        // Narrowed to fewer kinds, a kind left out is replaced by one of those allowed.
        let kind = if window.kinds.contains(&drawn) {
            drawn
        } else {
            let Some(&kind) = rng.pick(&window.kinds) else {
                break;
            };
            kind
        };
        let length = match kind {
            FaultKind::Pause => window.ack_wait + rng.millis(1000, 3000),
            FaultKind::Kill | FaultKind::Stop => rng.millis(500, 3000),
        };
        let broken_at = |target: &Target| {
            faults.iter().any(|f| {
                f.ends() >= at && (f.target == *target || (f.target.is_nats() && target.is_nats()))
            })
        };
        let free: Vec<Target> = window
            .targets
            .iter()
            .copied()
            .filter(|t| !broken_at(t))
            .collect();
        if let Some(&target) = rng.pick(&free) {
            if at + length <= window.until {
                faults.push(Fault {
                    at,
                    kind,
                    target,
                    length,
                });
            }
        }
        at += rng.millis(1500, 5000);
    }
    faults
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window() -> Window {
        let mut targets = vec![Target::Nats { node: 1, nodes: 1 }];
        targets.extend(Service::ALL.map(|service| Target::Service {
            service,
            instance: 1,
        }));
        Window {
            from: Duration::from_secs(3),
            until: Duration::from_secs(60),
            ack_wait: Duration::from_secs(4),
            targets,
            kinds: FaultKind::ALL.to_vec(),
        }
    }

    #[test]
    fn a_seed_gives_one_schedule() {
        let a = schedule(&mut Rng::new(42), &window());
        assert_eq!(a, schedule(&mut Rng::new(42), &window()));
        assert_ne!(a, schedule(&mut Rng::new(43), &window()));
    }

    #[test]
    fn faults_stay_in_the_window_never_hit_a_broken_target_and_some_overlap() {
        let window = window();
        let faults = schedule(&mut Rng::new(1), &window);
        assert!(faults.len() >= 8, "{} faults", faults.len());
        for (i, f) in faults.iter().enumerate() {
            assert!(f.at >= window.from && f.ends() <= window.until);
            if f.kind == FaultKind::Pause {
                assert!(f.length > window.ack_wait);
            }
            for g in &faults[i + 1..] {
                assert!(g.target != f.target || g.at > f.ends(), "{f} and {g}");
            }
        }
        let overlapping = faults.windows(2).filter(|w| w[1].at < w[0].ends()).count();
        assert!(overlapping > 0);
    }

    #[test]
    fn a_narrowed_schedule_draws_only_the_kinds_and_targets_asked_for() {
        let moderation = Target::Service {
            service: Service::Moderation,
            instance: 1,
        };
        let window = Window {
            targets: vec![moderation],
            kinds: vec![FaultKind::Pause],
            ..window()
        };
        let faults = schedule(&mut Rng::new(2), &window);
        assert!(!faults.is_empty());
        assert!(faults
            .iter()
            .all(|f| f.kind == FaultKind::Pause && f.target == moderation));
    }

    #[test]
    fn a_cluster_never_has_two_nodes_broken_at_once() {
        let nodes: Vec<Target> = (1..=3)
            .map(|node| Target::Nats { node, nodes: 3 })
            .collect();
        let window = Window {
            targets: nodes,
            ..window()
        };
        for seed in 0..20 {
            let faults = schedule(&mut Rng::new(seed), &window);
            assert!(faults.len() >= 3, "seed {seed}: {} faults", faults.len());
            for (i, f) in faults.iter().enumerate() {
                for g in &faults[i + 1..] {
                    assert!(g.at > f.ends(), "seed {seed}: {f} and {g} overlap");
                }
            }
        }
    }
}
