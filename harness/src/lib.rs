//! The real system as child processes, for the tools that drive it from outside: `make
//! bench` measures it, `make chaos` breaks it. Both start the release (or debug) binaries of
//! the services on free ports of 127.0.0.1, exactly as a learner's `make run` does, so what
//! they find is what a learner would see.
//!
//! # Layout
//!
//! - [`process`]: a child process that is killed when dropped (so none outlives the tool,
//!   even on an error, a panic or Ctrl-C), signals to it, free ports, log tails.
//! - [`services`]: the four services — their names, where their binaries are, and the one
//!   function that says which command and environment start one.
//! - [`streams`]: what the broker says about the system's work: the consumers' backlog.

pub mod process;
pub mod services;
pub mod streams;
