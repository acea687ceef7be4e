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

/// Milliseconds since 1970 of an RFC 3339 time (`2026-11-22T10:00:05.020Z`, or with a
/// `+hh:mm` offset), to count down to it; `None` for anything else.
pub fn epoch_ms(rfc3339: &str) -> Option<i64> {
    let (date, rest) = rfc3339.split_once(['T', 't', ' '])?;
    let zone_at = rest.find(['Z', 'z', '+', '-'])?;
    let (time, zone) = rest.split_at(zone_at);
    let number = |text: &str| text.parse::<i64>().ok();
    let mut ymd = date.splitn(3, '-').map(number);
    let (year, month, day) = (ymd.next()??, ymd.next()??, ymd.next()??);
    let (whole, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut hms = whole.splitn(3, ':').map(number);
    let (hour, minute, second) = (hms.next()??, hms.next()??, hms.next()??);
    let millis: String = fraction.chars().chain("000".chars()).take(3).collect();
    let offset_minutes = match zone {
        "Z" | "z" => 0,
        _ => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let (h, m) = zone.get(1..)?.split_once(':')?;
            sign * (number(h)? * 60 + number(m)?)
        }
    };
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second
        - offset_minutes * 60;
    Some(seconds * 1_000 + number(&millis)?)
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (the well-known
/// "days from civil" arithmetic: years counted from March, so February's length comes last).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// How long until something due in `ms`, as a person says it: `in 8 s`, `in 4 min 05 s`;
/// `any moment now` once it is due.
pub fn countdown(ms: i64) -> String {
    if ms <= 0 {
        return "any moment now".to_owned();
    }
    // Rounded up: "in 0 s" would read as "now", and it is not yet.
    let secs = (ms + 999) / 1_000;
    if secs < 60 {
        format!("in {secs} s")
    } else if secs < 3_600 {
        format!("in {} min {:02} s", secs / 60, secs % 60)
    } else {
        format!("in {} h {:02} min", secs / 3_600, secs % 3_600 / 60)
    }
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

    #[test]
    fn reads_a_time_as_milliseconds_since_1970() {
        assert_eq!(epoch_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(epoch_ms("2027-01-15T08:00:10.5Z"), Some(1_800_000_010_500));
        assert_eq!(
            epoch_ms("2027-01-15T09:00:10.500123+01:00"),
            Some(1_800_000_010_500)
        );
        assert_eq!(epoch_ms("2024-02-29T00:00:00Z"), Some(1_709_164_800_000));
        assert_eq!(epoch_ms("soon"), None);
        assert_eq!(epoch_ms("2027-01-15T08:00Z"), None);
    }

    #[test]
    fn a_countdown_rounds_up_and_says_when_it_is_due() {
        assert_eq!(countdown(8_200), "in 9 s");
        assert_eq!(countdown(1), "in 1 s");
        assert_eq!(countdown(245_000), "in 4 min 05 s");
        assert_eq!(countdown(3_720_000), "in 1 h 02 min");
        assert_eq!(countdown(0), "any moment now");
        assert_eq!(countdown(-5_000), "any moment now");
    }
}
