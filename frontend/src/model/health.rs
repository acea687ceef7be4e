//! How the page judges a service it cannot see directly: up, down, or unknown, and why.

use super::system::{Service, QUERY};
use super::Link;

/// What the page can say about a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Health {
    /// Green: it answered query's last ping.
    Up,
    /// Red: it did not answer (or, for query, this page cannot reach it).
    Down,
    /// Grey: the page cannot know (query is unreachable, or cannot reach the broker).
    Unknown,
}

impl Health {
    /// For CSS classes and `data-state` attributes.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Up => "up",
            Health::Down => "down",
            Health::Unknown => "unknown",
        }
    }

    /// The word on the card (the colour never speaks alone).
    pub fn label(self) -> &'static str {
        match self {
            Health::Up => "Up",
            Health::Down => "Down",
            Health::Unknown => "Unknown",
        }
    }
}

/// A service's health and the reason, in a few words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Judgement {
    pub health: Health,
    pub why: &'static str,
}

/// Decides how to show `service`, given whether query is connected to the broker and how
/// the page's link to query's system stream is doing.
///
/// Everything on this view comes through query, so the last view is only as current as
/// the link: when the link is down, query is down as far as this page can tell, and the
/// others are unknown — their last state is shown, greyed, not passed off as current.
/// Likewise, when query cannot reach the broker, it cannot ping anyone.
pub fn judge(service: &Service, broker_connected: bool, link: Link) -> Judgement {
    let is_query = service.name == QUERY;
    let (health, why) = match link {
        Link::Live if !broker_connected && is_query => {
            (Health::Up, "answering, but cut off from the broker")
        }
        Link::Live if !broker_connected => (Health::Unknown, "query cannot reach the broker"),
        Link::Live if service.up => (Health::Up, "answered the last ping"),
        Link::Live => (Health::Down, "did not answer the last ping"),
        Link::Down if is_query => (Health::Down, "this page cannot reach it"),
        Link::Down => (Health::Unknown, "unknown while query is unreachable"),
        Link::Connecting => (Health::Unknown, "connecting to query…"),
    };
    Judgement { health, why }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(name: &str, up: bool) -> Service {
        Service {
            name: name.into(),
            up,
            instances: u64::from(up),
        }
    }

    #[test]
    fn a_service_is_green_when_it_answered_and_red_when_not() {
        let live = |s: &Service| judge(s, true, Link::Live).health;
        assert_eq!(live(&service("moderation", true)), Health::Up);
        assert_eq!(live(&service("moderation", false)), Health::Down);
        assert_eq!(Health::Down.as_str(), "down");
    }

    #[test]
    fn with_query_unreachable_query_is_down_and_the_rest_unknown() {
        let down = |s: &Service| judge(s, true, Link::Down).health;
        assert_eq!(down(&service("query", true)), Health::Down);
        assert_eq!(down(&service("posts", true)), Health::Unknown);
        assert_eq!(down(&service("moderation", false)), Health::Unknown);
        assert_eq!(
            judge(&service("posts", true), true, Link::Connecting).health,
            Health::Unknown
        );
    }

    #[test]
    fn with_query_cut_off_from_the_broker_only_query_is_known() {
        assert_eq!(
            judge(&service("query", false), false, Link::Live).health,
            Health::Up
        );
        let posts = judge(&service("posts", false), false, Link::Live);
        assert_eq!(
            (posts.health, posts.why),
            (Health::Unknown, "query cannot reach the broker")
        );
    }
}
