//! Views: what a user sees of a run or a program, apart from the
//! interpreter. Each run view is an `Observer` of the run's events; the
//! graph draws a checked plan.

pub mod graph;
mod human;
mod json;
mod progress;
mod timeline;
mod trace;

pub use human::HumanOutput;
pub use json::JsonOutput;
pub use progress::{Bar, Progress};
pub use timeline::Timeline;
pub use trace::Trace;
