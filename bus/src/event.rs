//! The events, from the wire contract (see [`contract::events`]): a CloudEvents 1.0
//! envelope around the four event types, with the constructors the services use.

pub use contract::events::*;
