//! Plan -> a run: the tokio interpreter and the events it reports.

mod event;
mod runner;

pub use event::{Event, HumanOutput, JsonOutput, Observer, Reason, Status};
pub use runner::{Options, Outcome, run};
