//! `iotrun run --trace FILE`: the run in the Chrome trace event format,
//! which Perfetto and chrome://tracing open as a timeline. One thread per
//! device, named by metadata events, with a complete (`X`) event per connect,
//! message attempt, and disconnect; a `program` thread holds the delays and
//! the blocks (sequences, parallels, routines) as enclosing spans.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use crate::message::MessageType;
use crate::run::{Event, Observer};

/// Collects a run's events as trace events.
#[derive(Default)]
pub struct Trace {
    events: Vec<TraceEvent>,
    /// Thread ids of devices, by name: 1, 2, ... in order of appearance.
    threads: HashMap<String, u64>,
    /// Spans begun and not yet ended, by what they are: their start and
    /// arguments. Two executions of one line may overlap (a routine run
    /// twice at once), so each key holds a queue, first started first ended.
    open: HashMap<(u64, String), VecDeque<Begun>>,
    /// Spans begun so far: orders spans of equal start and length outer first.
    begun: usize,
    end: Duration,
}

/// A span begun: when, in which order, and its arguments so far.
struct Begun {
    start: Duration,
    order: usize,
    args: Value,
}

#[derive(Serialize)]
struct TraceEvent {
    #[serde(skip)]
    order: usize,
    name: String,
    cat: &'static str,
    ph: &'static str,
    ts: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    dur: Option<u64>,
    pid: u64,
    tid: u64,
    args: Value,
}

/// The program's own thread.
const PROGRAM: u64 = 0;

fn micros(t: Duration) -> u64 {
    t.as_micros().min(u64::MAX.into()) as u64
}

impl Trace {
    fn thread(&mut self, device: &str) -> u64 {
        let next = self.threads.len() as u64 + 1;
        *self.threads.entry(device.to_string()).or_insert(next)
    }

    fn begin(&mut self, tid: u64, key: String, t: Duration, args: Value) {
        self.begun += 1;
        let order = self.begun;
        self.open.entry((tid, key)).or_default().push_back(Begun {
            start: t,
            order,
            args,
        });
    }

    fn finish(
        &mut self,
        tid: u64,
        key: String,
        name: String,
        cat: &'static str,
        t: Duration,
        extra: Value,
    ) {
        let Some(Begun {
            start,
            order,
            mut args,
        }) = self.open.get_mut(&(tid, key)).and_then(VecDeque::pop_front)
        else {
            return;
        };
        if let (Value::Object(args), Value::Object(extra)) = (&mut args, extra) {
            args.extend(extra);
        }
        self.events.push(TraceEvent {
            order,
            name,
            cat,
            ph: "X",
            ts: micros(start),
            dur: Some(micros(t.saturating_sub(start))),
            pid: 1,
            tid,
            args,
        });
    }

    fn end_message(
        &mut self,
        device: &str,
        message: MessageType,
        line: u32,
        t: Duration,
        outcome: Value,
    ) {
        let tid = self.thread(device);
        let key = format!("{message}@{line}");
        self.finish(tid, key, message.name().into(), "message", t, outcome);
    }

    fn end_delay(&mut self, line: u32, t: Duration, outcome: Value) {
        let key = format!("delay@{line}");
        self.finish(PROGRAM, key, "delay".into(), "program", t, outcome);
    }

    fn end_link(&mut self, device: &str, link: &str, t: Duration) {
        let tid = self.thread(device);
        let outcome = json!({"outcome": "ok"});
        self.finish(tid, link.into(), link.into(), "device", t, outcome);
    }

    fn end_wait(&mut self, line: u32, t: Duration, outcome: Value) {
        let key = format!("wait@{line}");
        self.finish(PROGRAM, key, "wait".into(), "program", t, outcome);
    }

    /// The trace as Chrome's JSON object format. Spans still open (work
    /// cancelled by a timeout or Ctrl-C inside a block) end with the run.
    pub fn to_json(mut self) -> String {
        let end = self.end;
        let open: Vec<(u64, String)> = self.open.keys().cloned().collect();
        for (tid, key) in open {
            while self
                .open
                .get(&(tid, key.clone()))
                .is_some_and(|q| !q.is_empty())
            {
                let name = key.split('@').next().unwrap_or("").to_string();
                self.finish(
                    tid,
                    key.clone(),
                    name,
                    "program",
                    end,
                    json!({"outcome": "cancelled"}),
                );
            }
        }
        let mut events: Vec<Value> = vec![
            json!({"name": "process_name", "ph": "M", "pid": 1, "tid": PROGRAM, "args": {"name": "iotrun"}}),
            json!({"name": "thread_name", "ph": "M", "pid": 1, "tid": PROGRAM, "args": {"name": "program"}}),
        ];
        let mut threads: Vec<(&String, &u64)> = self.threads.iter().collect();
        threads.sort_by_key(|(_, tid)| **tid);
        for (name, tid) in threads {
            events.push(json!({"name": "thread_name", "ph": "M", "pid": 1, "tid": tid, "args": {"name": name}}));
            events.push(json!({"name": "thread_sort_index", "ph": "M", "pid": 1, "tid": tid, "args": {"sort_index": tid}}));
        }
        self.events
            .sort_by_key(|e| (e.ts, std::cmp::Reverse(e.dur), e.order));
        events.extend(
            self.events
                .iter()
                .filter_map(|e| serde_json::to_value(e).ok()),
        );
        serde_json::to_string(&json!({"traceEvents": events, "displayTimeUnit": "ms"}))
            .unwrap_or_default()
    }
}

impl Observer for Trace {
    fn event(&mut self, t: Duration, event: &Event<'_>) {
        self.end = self.end.max(t);
        match *event {
            Event::ConnectStart { device, id, .. } => {
                let tid = self.thread(device);
                self.begin(tid, "connect".into(), t, json!({"id": id}));
            }
            Event::ConnectEnd { device, .. } => self.end_link(device, "connect", t),
            Event::DisconnectStart { device, id, .. } => {
                let tid = self.thread(device);
                self.begin(tid, "disconnect".into(), t, json!({"id": id}));
            }
            Event::DisconnectEnd { device, .. } => self.end_link(device, "disconnect", t),
            Event::MessageStart {
                device,
                message,
                data,
                line,
                attempt,
                ..
            } => {
                let tid = self.thread(device);
                let args = json!({"message": message.name(), "data": data, "attempt": attempt, "line": line});
                self.begin(tid, format!("{message}@{line}"), t, args);
            }
            Event::MessageEnd {
                device,
                message,
                line,
                ..
            } => self.end_message(device, message, line, t, json!({"outcome": "ok"})),
            Event::MessageFailed {
                device,
                message,
                line,
                reason,
                ..
            } => {
                let outcome = json!({"outcome": "failed", "reason": reason});
                self.end_message(device, message, line, t, outcome);
            }
            Event::MessageCancelled {
                device,
                message,
                line,
                ..
            } => self.end_message(device, message, line, t, json!({"outcome": "cancelled"})),
            Event::DelayStart { line } => {
                self.begin(PROGRAM, format!("delay@{line}"), t, json!({"line": line}))
            }
            Event::DelayEnd { line } => self.end_delay(line, t, json!({"outcome": "ok"})),
            Event::DelayCancelled { line } => {
                self.end_delay(line, t, json!({"outcome": "cancelled"}))
            }
            Event::WaitStart {
                device,
                line,
                state,
            } => {
                let args = json!({"device": device, "state": state, "line": line});
                self.begin(PROGRAM, format!("wait@{line}"), t, args);
            }
            Event::WaitEnd { line, .. } => self.end_wait(line, t, json!({"outcome": "ok"})),
            Event::WaitFailed { line, reason, .. } => {
                self.end_wait(line, t, json!({"outcome": "failed", "reason": reason}))
            }
            Event::WaitCancelled { line, .. } => {
                self.end_wait(line, t, json!({"outcome": "cancelled"}))
            }
            Event::BlockStart { line, block, name } => {
                let args = json!({"line": line, "routine": name});
                self.begin(PROGRAM, format!("{block}@{line}"), t, args);
            }
            Event::BlockEnd { line, block } => {
                let name = match self
                    .open
                    .get(&(PROGRAM, format!("{block}@{line}")))
                    .and_then(|q| q.front())
                {
                    Some(begun) if begun.args["routine"].is_string() => {
                        format!("run {}", begun.args["routine"].as_str().unwrap_or(""))
                    }
                    _ => block.to_string(),
                };
                self.finish(
                    PROGRAM,
                    format!("{block}@{line}"),
                    name,
                    "program",
                    t,
                    json!({}),
                );
            }
            Event::MessageRetry { .. }
            | Event::NodeFailed { .. }
            | Event::State { .. }
            | Event::RunEnd { .. } => {}
        }
    }
}
