//! The recovery lab's view of the whole system, as query's `GET /system` (and each
//! `system` event of `/system/events`) sends it, and the pure rules for showing it.
//!
//! Query looks once a second: it pings every service over NATS (`$SRV.PING`), asks
//! JetStream for each stream's message count and each durable consumer's backlog, and
//! lists the dead letters. This page only shows that, and decides one thing itself: how
//! much of it is still true (see [`judge`]).

use super::health::{judge, Health};
use super::Link;

/// The service whose answers this view is: if the page cannot reach it, nothing here is
/// current, and if it cannot reach the broker, nobody else's state is known.
pub const QUERY: &str = "query";

/// The view's shapes: the wire contract's, as query serializes them.
pub use contract::views::{
    Cause, ConsumerView as Consumer, LetterView as DeadLetter, ServiceView as Service,
    StreamView as Stream, SystemView,
};

/// What the page reads in a dead letter.
pub trait DeadLetterText {
    /// Why it is here, in words.
    fn cause_text(&self) -> String;
}

impl DeadLetterText for DeadLetter {
    fn cause_text(&self) -> String {
        let deliveries = self.letter.deliveries;
        match self.letter.cause {
            Cause::MaxDeliveries => format!("Failed on all {deliveries} deliveries"),
            Cause::Terminated => format!(
                "Terminated by the consumer after {}",
                plural(deliveries, "delivery", "deliveries")
            ),
            Cause::Other => format!(
                "Given up after {}",
                plural(deliveries, "delivery", "deliveries")
            ),
        }
    }
}

/// What the page derives from query's system view.
pub trait SystemViewRules: Sized {
    fn from_json(text: &str) -> Result<Self, serde_json::Error>;
    /// Whether query has looked at the system yet (right after it starts it sends `{}`).
    fn has_looked(&self) -> bool;
    /// Whether this view can be taken as the system's state now: the page's link to query
    /// is live and query can reach the broker.
    fn is_current(&self, link: Link) -> bool;
    /// What each service's card shows. Counts (instances, backlog) only while they are
    /// current: a stale "1 instance" would be a claim the page cannot back.
    fn service_cards(&self, link: Link) -> Vec<ServiceCard>;
    /// What is waiting for `service`: the pending and unacknowledged messages of the
    /// durable consumers named after it (moderation's is `moderation` on COMMENTS, or
    /// `moderation-p0` … on MODERATION_WORK when partitioned), with where they wait.
    /// `None` if it has no consumer by its name.
    fn backlog(&self, service: &str) -> Option<Backlog>;
}

impl SystemViewRules for SystemView {
    fn from_json(text: &str) -> Result<SystemView, serde_json::Error> {
        serde_json::from_str(text)
    }

    fn has_looked(&self) -> bool {
        !self.services.is_empty()
    }

    fn is_current(&self, link: Link) -> bool {
        link == Link::Live && self.broker_connected
    }

    fn service_cards(&self, link: Link) -> Vec<ServiceCard> {
        let current = self.is_current(link);
        self.services
            .iter()
            .map(|service| {
                let judgement = judge(service, self.broker_connected, link);
                ServiceCard {
                    name: service.name.clone(),
                    health: judgement.health,
                    why: judgement.why,
                    instances: current.then_some(service.instances),
                    backlog: if current {
                        self.backlog(&service.name)
                    } else {
                        None
                    },
                }
            })
            .collect()
    }

    fn backlog(&self, service: &str) -> Option<Backlog> {
        let mut backlog: Option<Backlog> = None;
        for stream in &self.streams {
            for consumer in stream
                .consumers
                .iter()
                .filter(|c| belongs_to(&c.name, service))
            {
                let b = backlog.get_or_insert_with(Backlog::default);
                b.messages += consumer.pending + consumer.ack_pending;
                if !b.streams.contains(&stream.name) {
                    b.streams.push(stream.name.clone());
                }
            }
        }
        backlog
    }
}

/// Whether the durable consumer `name` is `service`'s: its own name, or one of its
/// partitions' (`moderation-p2`).
fn belongs_to(name: &str, service: &str) -> bool {
    match name.strip_prefix(service) {
        Some("") => true,
        Some(rest) => rest
            .strip_prefix("-p")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())),
        None => false,
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Backlog {
    /// Pending plus acknowledgement-pending, over its consumers.
    pub messages: u64,
    /// The streams its consumers read.
    pub streams: Vec<String>,
}

impl Backlog {
    /// `3 messages waiting in COMMENTS`, `nothing waiting in COMMENTS`.
    pub fn text(&self) -> String {
        let waiting = match self.messages {
            0 => "nothing".to_owned(),
            n => plural(n, "message", "messages"),
        };
        format!("{waiting} waiting in {}", self.streams.join(", "))
    }
}

/// One service's card on the System view.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ServiceCard {
    pub name: String,
    pub health: Health,
    /// Why it is shown so, in a few words.
    pub why: &'static str,
    /// How many instances answered; `None` when that is not known now.
    pub instances: Option<u64>,
    /// What waits for it; `None` when it has no consumer of its name, or it is not known now.
    pub backlog: Option<Backlog>,
}

/// `1 instance`, `2 instances`, `0 instances`.
pub fn instances_text(n: u64) -> String {
    plural(n, "instance", "instances")
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What query sends with moderation killed and one comment waiting for it.
    const JSON: &str = r#"{"brokerConnected":true,
        "services":[{"name":"posts","up":true,"instances":1},{"name":"comments","up":true,"instances":2},
                    {"name":"moderation","up":false,"instances":0},{"name":"query","up":true,"instances":1}],
        "streams":[{"name":"POSTS","messages":1,"consumers":[]},
                   {"name":"COMMENTS","messages":5,"consumers":[
                       {"name":"moderation","pending":1,"ackPending":0,"redelivered":0},
                       {"name":"query","pending":0,"ackPending":0,"redelivered":0}]},
                   {"name":"MODERATION","messages":2,"consumers":[
                       {"name":"comments","pending":0,"ackPending":1,"redelivered":3}]},
                   {"name":"DEADLETTERS","messages":1,"consumers":[]}],
        "deadLetters":[{"id":1,"cause":"maxDeliveries","stream":"COMMENTS","consumer":"moderation",
            "streamSequence":4,"deliveries":5,"error":null,"time":"2026-11-22T10:00:00.5Z","retried":false}]}"#;

    fn view() -> SystemView {
        SystemView::from_json(JSON).expect("valid")
    }

    #[test]
    fn reads_querys_json() {
        let v = view();
        assert!(v.broker_connected && v.has_looked());
        assert_eq!(v.services.len(), 4);
        assert_eq!(v.services[1].instances, 2);
        let comments = &v.streams[1];
        assert_eq!((comments.name.as_str(), comments.messages), ("COMMENTS", 5));
        assert_eq!(comments.consumers[0].pending, 1);
        assert_eq!(v.streams[2].consumers[0].redelivered, 3);
        let letter = &v.dead_letters[0].letter;
        assert_eq!(
            (letter.cause, letter.stream_sequence, letter.error.clone()),
            (Cause::MaxDeliveries, 4, None)
        );
    }

    #[test]
    fn query_just_started_sends_an_empty_object() {
        let v = SystemView::from_json("{}").expect("valid");
        assert!(!v.has_looked());
        assert!(SystemView::from_json("not json").is_err());
    }

    #[test]
    fn an_unknown_cause_is_kept() {
        let json = r#"{"id":9,"cause":"somethingNew","stream":"S","consumer":"c","streamSequence":1,
            "deliveries":1,"time":"2026-11-22T10:00:00Z"}"#;
        let letter: DeadLetter = serde_json::from_str(json).expect("valid");
        assert_eq!(letter.letter.cause, Cause::Other);
        assert!(!letter.letter.retried);
        assert_eq!(letter.cause_text(), "Given up after 1 delivery");
    }

    #[test]
    fn a_partitioned_services_consumers_are_its_own() {
        assert!(belongs_to("moderation", "moderation"));
        assert!(belongs_to("moderation-p3", "moderation"));
        assert!(!belongs_to("moderation-x", "moderation"));
        assert!(!belongs_to("query-4012", "query"));
        assert!(!belongs_to("comments", "moderation"));
    }

    #[test]
    fn each_cause_is_said_in_words() {
        let mut letter = view().dead_letters[0].clone();
        assert_eq!(letter.cause_text(), "Failed on all 5 deliveries");
        letter.letter.cause = Cause::Terminated;
        assert_eq!(
            letter.cause_text(),
            "Terminated by the consumer after 5 deliveries"
        );
    }

    #[test]
    fn a_services_backlog_is_what_waits_in_its_consumers() {
        let v = view();
        let moderation = v.backlog("moderation").expect("moderation has a consumer");
        assert_eq!(moderation.messages, 1);
        assert_eq!(moderation.text(), "1 message waiting in COMMENTS");
        // Acknowledgement-pending counts too: it is not done yet.
        assert_eq!(
            v.backlog("comments").map(|b| b.text()),
            Some("1 message waiting in MODERATION".into())
        );
        assert_eq!(v.backlog("posts"), None);
        let idle = Backlog {
            messages: 0,
            streams: vec!["COMMENTS".into()],
        };
        assert_eq!(idle.text(), "nothing waiting in COMMENTS");
    }

    #[test]
    fn cards_show_counts_only_while_they_are_current() {
        let v = view();
        let cards = v.service_cards(Link::Live);
        let moderation = &cards[2];
        assert_eq!(
            (moderation.name.as_str(), moderation.health),
            ("moderation", Health::Down)
        );
        assert_eq!(moderation.instances, Some(0));
        assert_eq!(moderation.backlog.as_ref().map(|b| b.messages), Some(1));
        assert_eq!(cards[1].instances, Some(2));

        let stale = v.service_cards(Link::Down);
        assert_eq!(stale[2].health, Health::Unknown);
        assert_eq!((stale[2].instances, stale[2].backlog.clone()), (None, None));
        assert_eq!(stale[3].health, Health::Down);

        let cut_off = SystemView {
            broker_connected: false,
            ..view()
        };
        assert!(!cut_off.is_current(Link::Live));
        assert!(cut_off
            .service_cards(Link::Live)
            .iter()
            .all(|c| c.instances.is_none()));
    }

    #[test]
    fn counts_are_worded_in_the_singular_and_plural() {
        assert_eq!(instances_text(1), "1 instance");
        assert_eq!(instances_text(0), "0 instances");
        assert_eq!(instances_text(3), "3 instances");
    }
}
