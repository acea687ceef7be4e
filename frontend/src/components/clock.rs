//! The page's clock, for counting down to a dead letter's next automatic retry.

use leptos::prelude::*;
use std::time::Duration;

/// Milliseconds since 1970, by the browser's clock.
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// The time now, updated every second while the calling component is mounted (the timer
/// stops with it).
pub fn ticking_now() -> ReadSignal<i64> {
    let now = RwSignal::new(now_ms());
    let ticking = set_interval_with_handle(move || now.set(now_ms()), Duration::from_secs(1));
    if let Ok(handle) = ticking {
        on_cleanup(move || handle.clear());
    }
    now.read_only()
}
