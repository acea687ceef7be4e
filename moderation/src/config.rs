//! Settings: the usual `HOST`, `PORT` (default 4003) and broker settings, plus the workshop
//! knobs, all from the environment:
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `MODERATION_REJECT_WORDS` | comma-separated words that get a comment rejected | `orange` |
//! | `MODERATION_DELAY_MS` | how long each decision takes (a slow human moderator) | 0 |
//! | `MODERATION_FAIL_RATE` | share of attempts (0 to 1) that fail transiently | 0 |
//! | `MODERATION_FAIL_FIRST` | the first N attempts at each comment fail (a retry you can count on) | 0 |
//! | `MODERATION_CONCURRENCY` | comments moderated at once (per-comment order kept), 1 to 1000 | 8 |
//! | `MODERATION_MODE` | `shared`: every instance pulls one durable consumer `moderation` (competing consumers); `partitioned`: comments are split into partitions by id, each pulled by one instance at a time (see `bus::partitions`) | `shared` |
//! | `MODERATION_INSTANCE` | `k/n`: this is instance k of n; in partitioned mode it takes partitions k-1, k-1+n, … first | `1/1` |
//! | `MODERATION_TEST_FAULT` | `fresh-ids`: a deliberately broken moderation for the chaos checker's self-test (no stored-decision check, fresh event ids) | unset |

use crate::policy::Policy;
use std::str::FromStr;
use std::time::Duration;
use web::ServiceSettings;

#[derive(Clone, Debug)]
pub struct Settings {
    pub service: ServiceSettings,
    pub policy: Policy,
    pub knobs: Knobs,
    pub concurrency: usize,
    pub mode: Mode,
}

/// How the instances of moderation share the comments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// One durable consumer that every instance pulls: whoever asks next gets the next
    /// comment. Simple, and enough when each comment is one event.
    #[default]
    Shared,
    /// Comments split into partitions by id; each partition pulled by one instance at a
    /// time, in order. This instance is `index` (0-based) of `instances`.
    Partitioned { index: u32, instances: u32 },
}

/// Ways to make moderation slow or flaky on purpose, to watch backlogs and retries.
#[derive(Clone, Debug, Default)]
pub struct Knobs {
    pub delay: Duration,
    pub fail_rate: f64,
    pub fail_first: i64,
    /// Test only: publish each decision with a fresh id and without looking for a stored
    /// one, so redeliveries store duplicates (proves the chaos checker can see them).
    pub fresh_ids: bool,
}

impl Settings {
    pub const DEFAULT_CONCURRENCY: usize = 8;
    /// More would only queue work in memory: the server hands out at most 4× this many
    /// unacknowledged messages.
    pub const MAX_CONCURRENCY: usize = 1000;

    pub fn from_env() -> Result<Settings, String> {
        let words = std::env::var("MODERATION_REJECT_WORDS").unwrap_or_else(|_| "orange".into());
        let fail_rate: f64 = number("MODERATION_FAIL_RATE", 0.0)?;
        if !(0.0..=1.0).contains(&fail_rate) {
            return Err(format!(
                "MODERATION_FAIL_RATE must be from 0 to 1, not {fail_rate}"
            ));
        }
        let concurrency = concurrency(std::env::var("MODERATION_CONCURRENCY").ok())?;
        let fresh_ids = match std::env::var("MODERATION_TEST_FAULT").as_deref() {
            Err(_) | Ok("") => false,
            Ok("fresh-ids") => true,
            Ok(other) => {
                return Err(format!(
                    "MODERATION_TEST_FAULT={other:?}: the only fault is fresh-ids"
                ))
            }
        };
        let mode = mode(
            std::env::var("MODERATION_MODE").ok(),
            std::env::var("MODERATION_INSTANCE").ok(),
        )?;
        Ok(Settings {
            mode,
            service: ServiceSettings::from_env(bus::ServiceName::Moderation)?,
            policy: Policy::from_list(&words),
            knobs: Knobs {
                delay: Duration::from_millis(number("MODERATION_DELAY_MS", 0)?),
                fail_rate,
                fail_first: number("MODERATION_FAIL_FIRST", 0)?,
                fresh_ids,
            },
            concurrency,
        })
    }

    /// The knobs in force until someone sets them in the KV bucket (and again if the key is
    /// deleted): the environment's.
    pub fn default_knobs(&self) -> contract::lab::ModerationKnobs {
        contract::lab::ModerationKnobs {
            delay_ms: u64::try_from(self.knobs.delay.as_millis()).unwrap_or(u64::MAX),
            fail_rate: self.knobs.fail_rate,
            fail_first: u32::try_from(self.knobs.fail_first.max(0)).unwrap_or(u32::MAX),
            reject_words: self.policy.words().to_vec(),
            concurrency: u32::try_from(self.concurrency).unwrap_or(u32::MAX),
            manual: false,
        }
    }

    /// Settings for a test: the default policy and knobs.
    pub fn for_test(service: ServiceSettings) -> Settings {
        Settings {
            service,
            policy: Policy::default(),
            knobs: Knobs::default(),
            concurrency: Self::DEFAULT_CONCURRENCY,
            mode: Mode::Shared,
        }
    }
}

/// `MODERATION_MODE` and `MODERATION_INSTANCE` (`k/n`, 1 ≤ k ≤ n ≤ 32).
fn mode(mode: Option<String>, instance: Option<String>) -> Result<Mode, String> {
    let (k, n) = match instance.as_deref().map(str::trim) {
        None | Some("") => (1, 1),
        Some(raw) => raw
            .split_once('/')
            .and_then(|(k, n)| Some((k.trim().parse::<u32>().ok()?, n.trim().parse::<u32>().ok()?)))
            .filter(|(k, n)| (1..=32).contains(n) && (1..=*n).contains(k))
            .ok_or_else(|| {
                format!("MODERATION_INSTANCE must be k/n with 1 <= k <= n <= 32, not {raw:?}")
            })?,
    };
    match mode.as_deref().map(str::trim) {
        None | Some("") | Some("shared") => Ok(Mode::Shared),
        Some("partitioned") => Ok(Mode::Partitioned {
            index: k - 1,
            instances: n,
        }),
        Some(other) => Err(format!(
            "MODERATION_MODE must be shared or partitioned, not {other:?}"
        )),
    }
}

/// `MODERATION_CONCURRENCY`: 1 to [`Settings::MAX_CONCURRENCY`], refused otherwise (a huge
/// value would only queue work in memory, or overflow).
fn concurrency(raw: Option<String>) -> Result<usize, String> {
    let Some(raw) = raw else {
        return Ok(Settings::DEFAULT_CONCURRENCY);
    };
    raw.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=Settings::MAX_CONCURRENCY).contains(n))
        .ok_or_else(|| {
            format!(
                "MODERATION_CONCURRENCY must be a number from 1 to {}, not {raw:?}",
                Settings::MAX_CONCURRENCY
            )
        })
}

fn number<T: FromStr>(name: &str, default: T) -> Result<T, String> {
    match std::env::var(name) {
        Ok(value) => value
            .trim()
            .parse()
            .map_err(|_| format!("{name}={value:?} is not a number")),
        Err(_) => Ok(default),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mode_names_this_instance_among_its_peers() {
        assert_eq!(mode(None, None), Ok(Mode::Shared));
        assert_eq!(
            mode(Some("partitioned".into()), Some("2/3".into())),
            Ok(Mode::Partitioned {
                index: 1,
                instances: 3
            })
        );
        for (m, i) in [
            ("partitioned", "0/3"),
            ("partitioned", "4/3"),
            ("partitioned", "x"),
            ("wild", "1/1"),
        ] {
            assert!(mode(Some(m.into()), Some(i.into())).is_err(), "{m} {i}");
        }
    }

    #[test]
    fn concurrency_is_bounded_with_a_clear_error() {
        assert_eq!(concurrency(None), Ok(Settings::DEFAULT_CONCURRENCY));
        assert_eq!(concurrency(Some("16".into())), Ok(16));
        for bad in [
            "0",
            "1001",
            "18446744073709551615",
            "99999999999999999999999",
            "lots",
        ] {
            let error = concurrency(Some(bad.into())).err().unwrap_or_default();
            assert!(
                error.contains("MODERATION_CONCURRENCY must be"),
                "{bad}: {error}"
            );
        }
    }
}
