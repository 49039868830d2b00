//! Plan -> a run: the tokio interpreter and the events it reports.

mod event;
mod runner;
mod trace;

pub use event::{Event, Fanout, HumanOutput, JsonOutput, Observer, Reason, Status};
pub use runner::{Options, Outcome, run};
pub use trace::Trace;
