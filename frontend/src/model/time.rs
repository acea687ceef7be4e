//! How the page writes times and durations.
//!
//! Times arrive as RFC 3339 text in UTC (`2026-11-22T10:00:00.123456789Z`). They are shown
//! in UTC, labelled so, rather than converted to the browser's zone: the services' logs
//! are in UTC too, so a learner can match a line on the page with a line in a log. Plain
//! string work, so it is tested on the host and needs no date library in the wasm.

/// The time of day to the millisecond: `10:00:00.123 UTC`. Text that is not RFC 3339 is
/// returned as it came (better an odd-looking time than none).
pub fn clock(rfc3339: &str) -> String {
    match split(rfc3339) {
        Some((_, time, zone)) => format!("{time} {zone}"),
        None => rfc3339.to_owned(),
    }
}

/// The date and the time of day: `2026-11-22 10:00:00.123 UTC`.
pub fn date_and_clock(rfc3339: &str) -> String {
    match split(rfc3339) {
        Some((date, time, zone)) => format!("{date} {time} {zone}"),
        None => rfc3339.to_owned(),
    }
}

/// Splits `2026-11-22T10:00:00.123456Z` into `("2026-11-22", "10:00:00.123", "UTC")`.
fn split(rfc3339: &str) -> Option<(&str, String, &str)> {
    let (date, rest) = rfc3339.split_once(['T', 't', ' '])?;
    // The zone is `Z` or a `+hh:mm` / `-hh:mm` offset after the seconds.
    let zone_at = rest.find(['Z', 'z', '+', '-'])?;
    let (time, zone) = rest.split_at(zone_at);
    let zone = if zone.eq_ignore_ascii_case("z") {
        "UTC"
    } else {
        zone
    };
    let (whole, fraction) = time.split_once('.').unwrap_or((time, ""));
    if date.len() != 10 || whole.len() != 8 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Milliseconds, always three digits: hops are milliseconds apart.
    let millis: String = fraction.chars().chain("000".chars()).take(3).collect();
    Some((date, format!("{whole}.{millis}"), zone))
}

/// The time between two hops of a chain, signed and in the unit a person would use:
/// `+3 ms`, `+1.2 s`, `+2 min 05 s`, `+1 h 02 min`.
pub fn hop(ms: i64) -> String {
    // Events are ordered by their publishers' clocks; on one machine a hop is never
    // negative, but across machines clocks drift, and the page should say so, not hide it.
    let sign = if ms < 0 { '−' } else { '+' };
    let ms = ms.unsigned_abs();
    let text = if ms < 1_000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        // One decimal, truncated (1999 ms is "1.9 s", never a rounded-up "2.0 s").
        format!("{}.{} s", ms / 1_000, ms % 1_000 / 100)
    } else if ms < 3_600_000 {
        format!("{} min {:02} s", ms / 60_000, ms % 60_000 / 1_000)
    } else {
        format!("{} h {:02} min", ms / 3_600_000, ms % 3_600_000 / 60_000)
    };
    format!("{sign}{text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_is_shown_to_the_millisecond_in_utc() {
        assert_eq!(clock("2026-11-22T10:00:00.123456789Z"), "10:00:00.123 UTC");
        assert_eq!(clock("2026-11-22T10:00:00.1Z"), "10:00:00.100 UTC");
        assert_eq!(clock("2026-11-22T10:00:00Z"), "10:00:00.000 UTC");
        assert_eq!(
            date_and_clock("2026-11-22T10:00:05.020+01:00"),
            "2026-11-22 10:00:05.020 +01:00"
        );
    }

    #[test]
    fn text_that_is_not_a_time_is_shown_as_it_came() {
        assert_eq!(clock("yesterday"), "yesterday");
        assert_eq!(clock("2026-11-22T10:00Z"), "2026-11-22T10:00Z");
        assert_eq!(date_and_clock(""), "");
    }

    #[test]
    fn a_hop_uses_the_unit_a_person_would() {
        assert_eq!(hop(0), "+0 ms");
        assert_eq!(hop(3), "+3 ms");
        assert_eq!(hop(999), "+999 ms");
        assert_eq!(hop(1_000), "+1.0 s");
        assert_eq!(hop(1_999), "+1.9 s");
        assert_eq!(hop(59_999), "+59.9 s");
        assert_eq!(hop(60_000), "+1 min 00 s");
        assert_eq!(hop(125_400), "+2 min 05 s");
        assert_eq!(hop(3_720_000), "+1 h 02 min");
    }

    #[test]
    fn a_negative_hop_is_shown_not_hidden() {
        assert_eq!(hop(-3), "−3 ms");
    }
}
