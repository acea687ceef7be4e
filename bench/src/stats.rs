//! Percentiles of one run, and medians across repeated runs.
//!
//! Why medians: this machine is shared and noisy. A single run can land on a bad second; the
//! median of several is what a second `make bench` would most likely show again. And why
//! ratios: every figure is divided by a baseline measured in the same repeat, seconds apart,
//! so the noise that slows one slows the other.

use serde::Serialize;
use std::time::Duration;

/// Latencies of one run, sorted once, in microseconds.
#[derive(Clone, Debug, Default)]
pub struct Latencies {
    sorted: Vec<u32>,
}

impl Latencies {
    pub fn new(mut samples: Vec<u32>) -> Latencies {
        samples.sort_unstable();
        Latencies { sorted: samples }
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// The `q` quantile (0.5 = median), nearest rank, in milliseconds.
    pub fn ms(&self, q: f64) -> f64 {
        if self.sorted.is_empty() {
            return f64::NAN;
        }
        let rank = ((q * self.sorted.len() as f64).ceil() as usize).clamp(1, self.sorted.len());
        f64::from(self.sorted[rank - 1]) / 1000.0
    }
}

/// Microseconds, saturated, for compact storage of many samples.
pub fn micros(duration: Duration) -> u32 {
    u32::try_from(duration.as_micros()).unwrap_or(u32::MAX)
}

/// The median of some numbers (the mean of the middle two for an even count); NaN if none.
pub fn median(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.into_iter().filter(|v| !v.is_nan()).collect();
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// p50, p90 and p99 of one run, in milliseconds.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
}

impl Percentiles {
    pub fn of(latencies: &Latencies) -> Percentiles {
        Percentiles {
            p50: latencies.ms(0.50),
            p90: latencies.ms(0.90),
            p99: latencies.ms(0.99),
        }
    }

    /// Each percentile's median across runs.
    pub fn median_of(runs: &[Percentiles]) -> Percentiles {
        Percentiles {
            p50: median(runs.iter().map(|r| r.p50)),
            p90: median(runs.iter().map(|r| r.p90)),
            p99: median(runs.iter().map(|r| r.p99)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let latencies = Latencies::new((1..=100).rev().map(|ms| ms * 1000).collect());
        assert_eq!(latencies.ms(0.5), 50.0);
        assert_eq!(latencies.ms(0.99), 99.0);
        assert_eq!(latencies.ms(1.0), 100.0);
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median([3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median([4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median([]).is_nan());
    }
}
