//! Identifiers. Every id is a uuid: v7 (time ordered) for new things, so sorting by id
//! sorts by creation time; v5 (a hash) for ids derived from another id, so the same cause
//! always yields the same effect id. Making ids needs the `generate` feature; reading and
//! comparing them does not.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Defines a uuid newtype. Separate types keep a post id from being passed where a comment
/// id is expected; `#[serde(transparent)]` keeps the wire format a plain string.
macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        #[cfg(feature = "generate")]
        impl $name {
            /// A fresh, time-ordered (v7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        #[cfg(feature = "generate")]
        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// A post's id.
    PostId
);
uuid_id!(
    /// A comment's id.
    CommentId
);
uuid_id!(
    /// An event's id; also its `Nats-Msg-Id`, so JetStream drops a re-publish.
    EventId
);
uuid_id!(
    /// The id of the user request that started a chain of events.
    CorrelationId
);

/// The namespace for derived event ids (a fixed, arbitrary uuid).
#[cfg(feature = "generate")]
const DERIVED_EVENT_NAMESPACE: Uuid = Uuid::from_u128(0x6b1f_2c4e_8d0a_4f3b_9e57_0c1d_2e3f_4a5b);

#[cfg(feature = "generate")]
impl EventId {
    /// The id of the `effect_type` event caused by the event `self`.
    ///
    /// Why: a consumer may see the same cause twice (at-least-once delivery). Deriving the
    /// effect's id from the cause means the second publish carries the same `Nats-Msg-Id`,
    /// and JetStream drops it instead of storing a second effect.
    pub fn derive(self, effect_type: &str) -> EventId {
        let mut name = self.0.as_bytes().to_vec();
        name.extend_from_slice(effect_type.as_bytes());
        EventId(Uuid::new_v5(&DERIVED_EVENT_NAMESPACE, &name))
    }
}

/// The namespace for event ids derived from a client's idempotency key.
#[cfg(feature = "generate")]
const REQUEST_EVENT_NAMESPACE: Uuid = Uuid::from_u128(0x2d7c_51a0_93e4_4c18_a6b2_58f0_7e19_c3d6);

#[cfg(feature = "generate")]
impl EventId {
    /// The id of the event a write request with idempotency key `key` publishes, in the
    /// service `scope` (keys of different services never collide).
    ///
    /// Why: a client that retries a write after a timeout sends the same key. The same key
    /// gives the same event id, so the service can find the first attempt's event among
    /// those it has applied (rebuilt from its stream, so this holds across restarts and for
    /// years), and JetStream's duplicate window drops a second publish in the meantime.
    pub fn for_request(scope: &str, key: &str) -> EventId {
        let name = format!("{scope}\n{key}");
        EventId(Uuid::new_v5(&REQUEST_EVENT_NAMESPACE, name.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_deterministic_and_depend_on_cause_and_type() {
        let cause = EventId::new();
        assert_eq!(
            cause.derive("CommentModerated"),
            cause.derive("CommentModerated")
        );
        assert_ne!(
            cause.derive("CommentModerated"),
            cause.derive("CommentUpdated")
        );
        assert_ne!(
            cause.derive("CommentModerated"),
            EventId::new().derive("CommentModerated")
        );
    }

    #[test]
    fn request_ids_depend_on_scope_and_key_only() {
        assert_eq!(
            EventId::for_request("posts", "k1"),
            EventId::for_request("posts", "k1")
        );
        assert_ne!(
            EventId::for_request("posts", "k1"),
            EventId::for_request("posts", "k2")
        );
        assert_ne!(
            EventId::for_request("posts", "k1"),
            EventId::for_request("comments", "k1")
        );
    }

    #[test]
    fn new_ids_sort_by_creation_time() {
        let first = PostId::new();
        let second = PostId::new();
        assert!(first < second);
    }

    #[test]
    fn ids_parse_and_reject_garbage() {
        let id = PostId::new();
        assert_eq!(id.to_string().parse::<PostId>().ok(), Some(id));
        assert!("not-a-uuid".parse::<PostId>().is_err());
    }
}
