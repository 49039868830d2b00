//! Plan -> a run: the tokio interpreter and the events it reports.

mod event;
mod failure;
mod progress;
mod runner;
mod timeline;
mod trace;

pub use event::{Event, Fanout, HumanOutput, JsonOutput, Observer, Reason, Status};
pub use failure::{Failure, FailureKind};
pub use progress::{Bar, Progress};
pub use runner::{Options, Outcome, run, run_on, simulated};
pub use timeline::Timeline;
pub use trace::Trace;
