//! System tests: one binary (so the services link once), one module per promised behaviour.

mod auth;
mod bad_input;
mod broker_down;
mod dead_letter_redrive;
mod deleted;
mod exactly_once;
mod happy_path;
mod helpers;
mod idempotency;
mod instances;
mod lab_console;
mod live;
mod moderation_down;
mod ordered_parallelism;
mod paging;
mod query_down;
mod recovery_lab;
mod slow_handlers;
mod streams_tape;
mod writers_down;
