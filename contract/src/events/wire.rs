//! Reading an event off the wire, in one pass where it can be.
//!
//! The envelope's fields may come in any order, but `type` says how to read `data`. Our
//! own services write `type` first (the struct's order), so `data` is then decoded straight
//! into its type as the parser reaches it. Only when `data` comes first (another writer,
//! or a JSON tool that sorts keys) is it kept as raw JSON until `type` arrives, and read
//! again then. Replaying a million events is mostly this function, so the common case
//! matters: the derived `flatten` buffered every field into a generic tree, and a raw
//! `data` is a copy and a second scan.

use super::{
    CommentCreated, CommentModerated, CommentUpdated, Event, EventBody, EventType, PostCreated,
};
use crate::ids::{CorrelationId, EventId};
use chrono::{DateTime, Utc};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::fmt;

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Event, D::Error> {
        deserializer.deserialize_map(EnvelopeVisitor)
    }
}

/// The envelope's fields; any other (a CloudEvents extension we do not use) is skipped.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Field {
    Specversion,
    Id,
    Source,
    Time,
    Datacontenttype,
    Correlationid,
    Causationid,
    Type,
    Data,
    #[serde(other)]
    Other,
}

/// `data` as far as it has been read.
enum Data {
    Missing,
    /// Read before `type`: kept as raw JSON.
    Raw(Box<RawValue>),
    /// Read after `type`: decoded.
    Body(EventBody),
}

struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = Event;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a CloudEvents envelope")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
        let mut specversion: Option<String> = None;
        let mut id: Option<EventId> = None;
        let mut source: Option<String> = None;
        let mut time: Option<DateTime<Utc>> = None;
        let mut datacontenttype: Option<String> = None;
        let mut correlationid: Option<CorrelationId> = None;
        let mut causationid: Option<EventId> = None;
        let mut event_type: Option<EventType> = None;
        let mut data = Data::Missing;
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Specversion => specversion = Some(map.next_value()?),
                Field::Id => id = Some(map.next_value()?),
                Field::Source => source = Some(map.next_value()?),
                Field::Time => {
                    let parsed = Parsed {
                        expecting: "an RFC 3339 timestamp",
                        parse: timestamp,
                    };
                    time = Some(map.next_value_seed(parsed)?);
                }
                Field::Datacontenttype => datacontenttype = Some(map.next_value()?),
                Field::Correlationid => correlationid = Some(map.next_value()?),
                Field::Causationid => causationid = map.next_value()?,
                Field::Type => {
                    let parsed = Parsed {
                        expecting: "an event type name",
                        parse: type_named,
                    };
                    event_type = Some(map.next_value_seed(parsed)?);
                }
                Field::Data => {
                    data = match event_type {
                        Some(kind) => Data::Body(map.next_value_seed(BodyOf(kind))?),
                        None => Data::Raw(map.next_value()?),
                    }
                }
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let event_type = event_type.ok_or_else(|| de::Error::missing_field("type"))?;
        let body = match data {
            Data::Body(body) => body,
            Data::Raw(raw) => {
                let mut json = serde_json::Deserializer::from_str(raw.get());
                BodyOf(event_type)
                    .deserialize(&mut json)
                    .map_err(de::Error::custom)?
            }
            Data::Missing => return Err(de::Error::missing_field("data")),
        };
        Ok(Event {
            specversion: specversion.ok_or_else(|| de::Error::missing_field("specversion"))?,
            id: id.ok_or_else(|| de::Error::missing_field("id"))?,
            source: source.ok_or_else(|| de::Error::missing_field("source"))?,
            time: time.ok_or_else(|| de::Error::missing_field("time"))?,
            datacontenttype: datacontenttype
                .ok_or_else(|| de::Error::missing_field("datacontenttype"))?,
            correlationid: correlationid
                .ok_or_else(|| de::Error::missing_field("correlationid"))?,
            causationid,
            body,
        })
    }
}

/// A string field turned into its value by `parse` straight from the input, with no
/// `String` in between; `expecting` names it in errors.
struct Parsed<F> {
    expecting: &'static str,
    parse: F,
}

impl<'de, T, F: FnOnce(&str) -> Result<T, String>> DeserializeSeed<'de> for Parsed<F> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<T, F: FnOnce(&str) -> Result<T, String>> Visitor<'_> for Parsed<F> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        (self.parse)(text).map_err(E::custom)
    }
}

/// `type`: one of [`EventType::ALL`].
fn type_named(name: &str) -> Result<EventType, String> {
    EventType::named(name).ok_or_else(|| format!("unknown event type {name:?}"))
}

/// `time`: an RFC 3339 timestamp, as our services write it, read by chrono's dedicated
/// RFC 3339 parser (a third of the cost of its general one); anything else chrono's serde
/// reading accepts is still accepted.
fn timestamp(text: &str) -> Result<DateTime<Utc>, String> {
    match DateTime::parse_from_rfc3339(text) {
        Ok(time) => Ok(time.with_timezone(&Utc)),
        Err(_) => text.parse().map_err(|e: chrono::ParseError| e.to_string()),
    }
}

/// Reads `data` as the body of an event of this type. An update's version must be one
/// JavaScript can hold (see [`CommentUpdated::MAX_VERSION`]).
struct BodyOf(EventType);

impl<'de> DeserializeSeed<'de> for BodyOf {
    type Value = EventBody;

    fn deserialize<D: Deserializer<'de>>(self, data: D) -> Result<EventBody, D::Error> {
        let name = self.0.name;
        let bad = |error: D::Error| de::Error::custom(format!("bad {name} data: {error}"));
        match self.0 {
            EventType::POST_CREATED => PostCreated::deserialize(data)
                .map(EventBody::PostCreated)
                .map_err(bad),
            EventType::COMMENT_CREATED => CommentCreated::deserialize(data)
                .map(EventBody::CommentCreated)
                .map_err(bad),
            EventType::COMMENT_MODERATED => CommentModerated::deserialize(data)
                .map(EventBody::CommentModerated)
                .map_err(bad),
            EventType::COMMENT_UPDATED => {
                let update = CommentUpdated::deserialize(data).map_err(bad)?;
                if !(1..=CommentUpdated::MAX_VERSION).contains(&update.version) {
                    return Err(de::Error::custom(format!(
                        "CommentUpdated version {} is outside 1..={}",
                        update.version,
                        CommentUpdated::MAX_VERSION
                    )));
                }
                Ok(EventBody::CommentUpdated(update))
            }
            other => Err(de::Error::custom(format!(
                "unknown event type {:?}",
                other.name
            ))),
        }
    }
}
