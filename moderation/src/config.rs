//! Settings: the usual `HOST`, `PORT` (default 4003) and broker settings, plus the workshop
//! knobs, all from the environment:
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `MODERATION_REJECT_WORDS` | comma-separated words that get a comment rejected | `orange` |
//! | `MODERATION_DELAY_MS` | how long each decision takes (a slow human moderator) | 0 |
//! | `MODERATION_FAIL_RATE` | share of attempts (0 to 1) that fail transiently | 0 |
//! | `MODERATION_FAIL_FIRST` | the first N attempts at each comment fail (a retry you can count on) | 0 |
//! | `MODERATION_CONCURRENCY` | comments moderated at once (per-comment order kept) | 8 |

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
}

/// Ways to make moderation slow or flaky on purpose, to watch backlogs and retries.
#[derive(Clone, Debug, Default)]
pub struct Knobs {
    pub delay: Duration,
    pub fail_rate: f64,
    pub fail_first: i64,
}

impl Settings {
    pub const DEFAULT_PORT: u16 = 4003;
    pub const DEFAULT_CONCURRENCY: usize = 8;

    pub fn from_env() -> Result<Settings, String> {
        let words = std::env::var("MODERATION_REJECT_WORDS").unwrap_or_else(|_| "orange".into());
        let fail_rate: f64 = number("MODERATION_FAIL_RATE", 0.0)?;
        if !(0.0..=1.0).contains(&fail_rate) {
            return Err(format!("MODERATION_FAIL_RATE must be from 0 to 1, not {fail_rate}"));
        }
        Ok(Settings {
            service: ServiceSettings::from_env("moderation", Self::DEFAULT_PORT)?,
            policy: Policy::from_list(&words),
            knobs: Knobs {
                delay: Duration::from_millis(number("MODERATION_DELAY_MS", 0)?),
                fail_rate,
                fail_first: number("MODERATION_FAIL_FIRST", 0)?,
            },
            concurrency: number("MODERATION_CONCURRENCY", Self::DEFAULT_CONCURRENCY)?.max(1),
        })
    }

    /// Settings for a test: the default policy and knobs.
    pub fn for_test(service: ServiceSettings) -> Settings {
        Settings {
            service,
            policy: Policy::default(),
            knobs: Knobs::default(),
            concurrency: Self::DEFAULT_CONCURRENCY,
        }
    }
}

fn number<T: FromStr>(name: &str, default: T) -> Result<T, String> {
    match std::env::var(name) {
        Ok(value) => value.trim().parse().map_err(|_| format!("{name}={value:?} is not a number")),
        Err(_) => Ok(default),
    }
}
