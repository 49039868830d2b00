//! Plan -> a run: the tokio interpreter and the events it reports.

mod event;
mod failure;
mod runner;

pub use event::{Event, Fanout, Observer, Reason, Status, seconds};
pub use failure::{Failure, FailureKind};
pub use runner::{Options, Outcome, run, run_on, simulated};
