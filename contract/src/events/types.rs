//! The list of event types: each one's name, stream and publishing service. Everything
//! that needs to know "who publishes X" (the timeline, the system view) asks here.

use crate::names::{ServiceName, StreamDef};

/// An event type: its name, and the stream (so the service) that publishes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventType {
    /// The CloudEvents `type`, also the middle token of the subject.
    pub name: &'static str,
    pub stream: StreamDef,
}

impl EventType {
    pub const POST_CREATED: EventType = EventType {
        name: "PostCreated",
        stream: StreamDef::Posts,
    };
    pub const COMMENT_CREATED: EventType = EventType {
        name: "CommentCreated",
        stream: StreamDef::Comments,
    };
    pub const COMMENT_MODERATED: EventType = EventType {
        name: "CommentModerated",
        stream: StreamDef::Moderation,
    };
    pub const COMMENT_UPDATED: EventType = EventType {
        name: "CommentUpdated",
        stream: StreamDef::Comments,
    };

    /// Every event type there is.
    pub const ALL: [EventType; 4] = [
        EventType::POST_CREATED,
        EventType::COMMENT_CREATED,
        EventType::COMMENT_MODERATED,
        EventType::COMMENT_UPDATED,
    ];

    /// The type called `name`, if there is one.
    pub fn named(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.name == name)
    }

    /// The service that publishes it.
    pub fn publisher(self) -> ServiceName {
        self.stream.owner()
    }
}
