//! The uuid newtypes, from the wire contract (see [`contract::ids`]), with their
//! generators: a fresh time-ordered id, one derived from a cause, one from a request's
//! idempotency key.

pub use contract::ids::*;
