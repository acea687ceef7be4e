//! How the table writes its numbers: counts with thousands separators, percentiles,
//! throughputs and memory.

use crate::load::Throughput;
use crate::stats::Percentiles;
use crate::system::ServiceMemory;

pub(super) const MB_PER_MIB: f64 = 1.048_576;

pub(super) fn throughput(t: &Throughput, unit: &str) -> String {
    let errors = if t.errors > 0 {
        format!(" · **{} errors**", t.errors)
    } else {
        " · 0 errors".into()
    };
    format!(
        "{} {unit} · p50 {:.1} ms · p99 {:.1} ms{errors}",
        count(t.per_sec),
        t.p50_ms,
        t.p99_ms
    )
}

pub(super) fn percentiles(p: &Percentiles) -> String {
    format!("p50 {:.2} / p90 {:.2} / p99 {:.2} ms", p.p50, p.p90, p.p99)
}

pub(super) fn memory(services: &[ServiceMemory]) -> String {
    services
        .iter()
        .map(|s| {
            format!(
                "{} {:.1} MB",
                s.service.name(),
                s.memory.rss_mib * MB_PER_MIB
            )
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// 1234567.8 → "1,234,568".
pub(super) fn count(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".into();
    }
    let digits = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (n, digit) in digits.chars().enumerate() {
        if n > 0 && (digits.len() - n) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if value < 0.0 {
        format!("-{out}")
    } else {
        out
    }
}
