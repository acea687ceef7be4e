//! Every name the processes must agree on, each in one place: the streams (and so their
//! subjects), and the services (and so their default ports and NATS users).

/// The event streams, one per owning service. The subject names the event type and the
/// entity: `comments.CommentCreated.<commentId>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StreamDef {
    Posts,
    Comments,
    Moderation,
}

/// The stream that records dead letters (see `bus::deadletters`).
pub const DEAD_LETTERS: &str = "DEADLETTERS";

impl StreamDef {
    pub const ALL: [StreamDef; 3] = [StreamDef::Posts, StreamDef::Comments, StreamDef::Moderation];

    pub fn name(self) -> &'static str {
        match self {
            StreamDef::Posts => "POSTS",
            StreamDef::Comments => "COMMENTS",
            StreamDef::Moderation => "MODERATION",
        }
    }

    /// The service that owns the stream (the only one that publishes to it).
    pub fn owner(self) -> ServiceName {
        match self {
            StreamDef::Posts => ServiceName::Posts,
            StreamDef::Comments => ServiceName::Comments,
            StreamDef::Moderation => ServiceName::Moderation,
        }
    }

    /// The first subject token, which is also the owning service's name.
    pub fn prefix(self) -> &'static str {
        self.owner().name()
    }

    /// The CloudEvents `source` of events in this stream: `/comments`.
    pub fn source(self) -> &'static str {
        match self {
            StreamDef::Posts => "/posts",
            StreamDef::Comments => "/comments",
            StreamDef::Moderation => "/moderation",
        }
    }

    pub fn subject(self, event_type: &str, entity_id: &str) -> String {
        format!("{}.{event_type}.{entity_id}", self.prefix())
    }

    /// All subjects of one event type, for a consumer filter: `comments.CommentCreated.>`.
    pub fn subjects_of(self, event_type: &str) -> String {
        format!("{}.{event_type}.>", self.prefix())
    }
}

/// The four services.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceName {
    Posts,
    Comments,
    Moderation,
    Query,
}

impl ServiceName {
    pub const ALL: [ServiceName; 4] = [
        ServiceName::Posts,
        ServiceName::Comments,
        ServiceName::Moderation,
        ServiceName::Query,
    ];

    /// Its name: in logs, `/health`, the NATS services API, and its NATS user.
    pub fn name(self) -> &'static str {
        match self {
            ServiceName::Posts => "posts",
            ServiceName::Comments => "comments",
            ServiceName::Moderation => "moderation",
            ServiceName::Query => "query",
        }
    }

    /// The port it listens on unless `PORT` says otherwise.
    pub fn default_port(self) -> u16 {
        match self {
            ServiceName::Posts => 4000,
            ServiceName::Comments => 4001,
            ServiceName::Query => 4002,
            ServiceName::Moderation => 4003,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_is_named_after_its_owner() {
        assert_eq!(StreamDef::Comments.prefix(), "comments");
        assert_eq!(
            StreamDef::Comments.subject("CommentCreated", "x"),
            "comments.CommentCreated.x"
        );
        assert_eq!(
            StreamDef::Moderation.subjects_of("CommentModerated"),
            "moderation.CommentModerated.>"
        );
    }
}
