//! Re-driving dead letters automatically: a bounded number of times, with a growing delay,
//! then leaving it to a person — the "crontab + idempotency + an upper bound, then tell a
//! person" pattern.
//!
//! A letter's *generation* counts the retries along its chain: a letter about a message
//! nobody retried is generation 0; retrying it republishes the message, and if the copy is
//! dead-lettered in turn, that new letter is generation 1, and so on (the chain is read
//! from the `retried` records, see [`crate::dead_letters`]). With the delays `[10 s, 60 s,
//! 5 min]`, a generation-0 letter is re-driven 10 s after JetStream gave up on it, a
//! generation-1 letter 60 s after, a generation-2 letter 5 min after, and a generation-3
//! letter never: it has *exhausted* its retries and the page says a person must look.
//!
//! Only letters JetStream gave up on after its maximum deliveries are re-driven: those
//! failed for reasons that may pass. A message its consumer *terminated* was judged one that
//! can never succeed (or is not an event at all); re-sending it would only terminate it
//! again, so that one waits for a person's Retry.
//!
//! # Several query instances
//!
//! Every query instance runs this loop, and that is safe. Each computes the same due time
//! from the letter itself (JetStream's own timestamp plus the delay for its generation), so
//! they act within a second of each other; the copy's `Nats-Msg-Id` and the `retried`
//! record's are both derived from the letter, so JetStream stores one copy and one record
//! however many instances republish it (its duplicate window is two minutes). An instance
//! acts only once it has read the whole DEADLETTERS stream, so one started later sees the
//! `retried` record and leaves the letter alone. And should a copy ever be stored twice, the
//! handlers are idempotent and their effects happen once.

use crate::dead_letters::{retry, DeadLetters, RetryError};
use async_nats::jetstream;
use bus::progress::Progress;
use chrono::{DateTime, Utc};
use parking_lot::RwLock;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the loop looks for letters that are due.
const TICK: Duration = Duration::from_secs(1);

/// The delays before each automatic retry; their number is the bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    delays: Vec<Duration>,
}

impl Default for Policy {
    /// 10 s, 60 s, 5 min: a hiccup heals in seconds, a restart in a minute; beyond five
    /// minutes, a person should look.
    fn default() -> Self {
        Policy::new([10, 60, 300].map(Duration::from_secs).to_vec())
    }
}

impl Policy {
    pub fn new(delays: Vec<Duration>) -> Policy {
        Policy { delays }
    }

    /// No automatic retries at all.
    pub fn off() -> Policy {
        Policy::new(Vec::new())
    }

    /// Reads a comma-separated list of delays (`10s,60s,5m`, `500ms`), or `off`.
    pub fn parse(text: &str) -> Result<Policy, String> {
        let text = text.trim();
        if text.is_empty() || text == "off" {
            return Ok(Policy::off());
        }
        text.split(',')
            .map(|d| parse_duration(d.trim()))
            .collect::<Result<_, _>>()
            .map(Policy::new)
    }

    /// The bound: how many automatic retries a chain gets.
    pub fn max_retries(&self) -> u32 {
        u32::try_from(self.delays.len()).unwrap_or(u32::MAX)
    }

    /// What happens next to a letter of `generation`, not yet retried, that JetStream gave
    /// up on at `time`; `automatic` is false for a letter that must wait for a person.
    pub fn plan(&self, generation: u32, time: DateTime<Utc>, automatic: bool) -> Redrive {
        let max_retries = self.max_retries();
        let delay = usize::try_from(generation)
            .ok()
            .and_then(|g| self.delays.get(g));
        let (state, next_retry_at) = match delay {
            _ if !automatic || self.delays.is_empty() => (RedriveState::Manual, None),
            None => (RedriveState::Exhausted, None),
            Some(delay) => {
                let delay = chrono::Duration::from_std(*delay).unwrap_or(chrono::Duration::MAX);
                (RedriveState::Scheduled, time.checked_add_signed(delay))
            }
        };
        Redrive {
            state,
            retries: generation,
            max_retries,
            next_retry_at,
        }
    }
}

/// `250ms`, `10s`, `5m`, `1h`; a bare number is seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let bad = || format!("{text:?} is not a delay like 500ms, 10s, 5m or 1h");
    let n: u64 = number.parse().map_err(|_| bad())?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "" | "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        _ => Err(bad()),
    }
}

/// Where a dead letter stands with automatic retries, as `/system` and `/posts` show it
/// (from the wire contract).
pub use contract::views::{Redrive, RedriveState};

/// Re-drives due letters until `shutdown`, once DEADLETTERS has been read to its end.
pub async fn run(
    js: jetstream::Context,
    letters: Arc<RwLock<DeadLetters>>,
    read: Progress,
    shutdown: CancellationToken,
) {
    if letters.read().policy().max_retries() == 0 {
        return;
    }
    // Acting before the whole stream is read could retry a letter already retried.
    tokio::select! {
        _ = shutdown.cancelled() => return,
        _ = read.wait_caught_up() => {}
    }
    // Letters this instance has retried: their `retried` record is on its way back through
    // the stream; no need to republish them again meanwhile.
    let mut handled = HashSet::new();
    while !shutdown.is_cancelled() {
        let mut due = letters.read().due(Utc::now());
        due.retain(|l| !handled.contains(&l.id));
        for letter in due {
            match retry(&js, &letter).await {
                Ok(sequence) => {
                    tracing::info!(dead_letter = letter.id, stream = %letter.stream, sequence,
                        "dead letter re-driven automatically");
                    handled.insert(letter.id);
                }
                Err(error @ RetryError::Gone(_)) => {
                    tracing::warn!(dead_letter = letter.id, %error, "cannot re-drive; a person must look");
                    handled.insert(letter.id);
                }
                Err(error) => {
                    // The broker is away: the letters stay due, the next tick tries again.
                    tracing::debug!(dead_letter = letter.id, %error, "re-drive postponed");
                    break;
                }
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = tokio::time::sleep(TICK) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap_or_default()
    }

    #[test]
    fn reads_delays_and_off() {
        let policy = Policy::parse("10s, 1m,500ms,2").expect("valid");
        let secs = [10_000, 60_000, 500, 2_000]
            .map(Duration::from_millis)
            .to_vec();
        assert_eq!(policy, Policy::new(secs));
        assert_eq!(Policy::parse("off"), Ok(Policy::off()));
        assert_eq!(Policy::parse(""), Ok(Policy::off()));
        assert!(Policy::parse("10 parsecs").is_err());
        assert!(Policy::parse("s").is_err());
    }

    #[test]
    fn the_delay_grows_with_the_generation_and_the_bound_ends_it() {
        let policy = Policy::default();
        let plan = |generation| policy.plan(generation, at(0), true);
        assert_eq!(plan(0).next_retry_at, Some(at(10)));
        assert_eq!(plan(1).next_retry_at, Some(at(60)));
        assert_eq!(plan(2).next_retry_at, Some(at(300)));
        assert_eq!(
            (plan(2).state, plan(2).retries, plan(2).max_retries),
            (RedriveState::Scheduled, 2, 3)
        );
        assert_eq!(
            plan(3),
            Redrive {
                state: RedriveState::Exhausted,
                retries: 3,
                max_retries: 3,
                next_retry_at: None
            }
        );
        assert_eq!(plan(7).state, RedriveState::Exhausted);
    }

    #[test]
    fn a_terminated_letter_or_re_drive_off_waits_for_a_person() {
        assert_eq!(
            Policy::default().plan(0, at(0), false).state,
            RedriveState::Manual
        );
        assert_eq!(
            Policy::off().plan(0, at(0), true).state,
            RedriveState::Manual
        );
    }

    #[test]
    fn the_schedule_serializes_in_camel_case_without_a_time_when_there_is_none() {
        let json = serde_json::to_value(Policy::default().plan(1, at(0), true)).expect("json");
        assert_eq!(json["state"], "scheduled");
        assert_eq!(json["maxRetries"], 3);
        assert!(json["nextRetryAt"].is_string());
        let json = serde_json::to_value(Policy::default().plan(3, at(0), true)).expect("json");
        assert!(json.get("nextRetryAt").is_none(), "{json}");
    }
}
