//! `iotrun run --trace FILE`: the run in the Chrome trace event format,
//! which Perfetto and chrome://tracing open as a timeline. One thread per
//! device, named by metadata events, with a complete (`X`) event per connect,
//! message attempt, and disconnect; a `program` thread holds the delays and
//! the blocks (sequences, parallels, routines) as enclosing spans.
//!
//! The trace is streamed to its file as the run goes: each span is written
//! once it ends (the format does not ask for any order), so what is kept is
//! only the spans still open, and the program thread's spans that ended at
//! the current instant: those are written outer first (longest first, then
//! first begun), so that a viewer nests blocks of equal start and length
//! the right way round.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use crate::message::MessageType;
use crate::run::{Event, Observer, Reason};

/// Streams a run's events as trace events to a writer.
pub struct Trace {
    out: std::io::BufWriter<Box<dyn Write>>,
    /// The first write that failed; nothing more is written after it.
    failed: Option<std::io::Error>,
    /// Events written so far (for the commas between them).
    written: usize,
    /// Thread ids of devices, by name: 1, 2, ... in order of appearance.
    threads: HashMap<String, u64>,
    /// Spans begun and not yet ended, by what they are: their start and
    /// arguments. Two executions of one line may overlap (a routine run
    /// twice at once), so each key holds a queue, first started first ended.
    open: HashMap<(u64, Key), VecDeque<Begun>>,
    /// Spans begun so far: orders spans of equal start and length outer first.
    begun: usize,
    /// Spans that ended at `now`, not yet written.
    ended: Vec<TraceEvent>,
    now: Duration,
}

/// What a span is, to pair its end with its beginning.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Connect,
    Disconnect,
    Message(MessageType, u32),
    Delay(u32),
    Wait(u32),
    Block(&'static str, u32),
}

/// A span begun: when, in which order, and its arguments so far.
struct Begun {
    start: Duration,
    order: usize,
    args: Args,
}

/// A span's arguments; those that are `None` are left out.
#[derive(Default, Serialize)]
struct Args {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'static str>,
    /// Present (maybe null) on every message.
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attempt: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    /// Present (maybe null) on every block.
    #[serde(skip_serializing_if = "Option::is_none")]
    routine: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<Reason>,
}

impl Args {
    fn outcome(outcome: &'static str, reason: Option<Reason>) -> Self {
        Args {
            outcome: Some(outcome),
            reason,
            ..Args::default()
        }
    }
}

#[derive(Serialize)]
struct TraceEvent {
    #[serde(skip)]
    order: usize,
    name: Cow<'static, str>,
    cat: &'static str,
    ph: &'static str,
    ts: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    dur: Option<u64>,
    pid: u64,
    tid: u64,
    args: Args,
}

/// The program's own thread.
const PROGRAM: u64 = 0;

fn micros(t: Duration) -> u64 {
    t.as_micros().min(u64::MAX.into()) as u64
}

impl Trace {
    /// A trace written to `out` as the run goes; [`Trace::finish`] ends it.
    pub fn new(out: Box<dyn Write>) -> Self {
        let mut trace = Trace {
            out: std::io::BufWriter::with_capacity(64 << 10, out),
            failed: None,
            written: 0,
            threads: HashMap::new(),
            open: HashMap::new(),
            begun: 0,
            ended: Vec::new(),
            now: Duration::ZERO,
        };
        trace.raw(b"{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
        trace.write(&json!({"name": "process_name", "ph": "M", "pid": 1, "tid": PROGRAM, "args": {"name": "iotrun"}}));
        trace.write(&json!({"name": "thread_name", "ph": "M", "pid": 1, "tid": PROGRAM, "args": {"name": "program"}}));
        trace
    }

    fn raw(&mut self, bytes: &[u8]) {
        if self.failed.is_none()
            && let Err(err) = self.out.write_all(bytes)
        {
            self.failed = Some(err);
        }
    }

    fn write(&mut self, event: &impl Serialize) {
        if self.written > 0 {
            self.raw(b",\n");
        }
        self.written += 1;
        if self.failed.is_none()
            && let Err(err) = serde_json::to_writer(&mut self.out, event)
        {
            self.failed = Some(err.into());
        }
    }

    /// Writes the spans that ended at the last instant, outer first.
    fn flush_ended(&mut self) {
        let mut ended = std::mem::take(&mut self.ended);
        ended.sort_by_key(|e| (e.ts, std::cmp::Reverse(e.dur), e.order));
        for event in &ended {
            self.write(event);
        }
        ended.clear();
        self.ended = ended;
    }

    fn thread(&mut self, device: &str) -> u64 {
        if let Some(tid) = self.threads.get(device) {
            return *tid;
        }
        let tid = self.threads.len() as u64 + 1;
        self.threads.insert(device.to_string(), tid);
        self.write(&json!({"name": "thread_name", "ph": "M", "pid": 1, "tid": tid, "args": {"name": device}}));
        self.write(&json!({"name": "thread_sort_index", "ph": "M", "pid": 1, "tid": tid, "args": {"sort_index": tid}}));
        tid
    }

    fn begin(&mut self, tid: u64, key: Key, t: Duration, args: Args) {
        self.begun += 1;
        let order = self.begun;
        // Most keys hold one span at a time: room for one, not a deque's four.
        let queue = self
            .open
            .entry((tid, key))
            .or_insert_with(|| VecDeque::with_capacity(1));
        queue.push_back(Begun {
            start: t,
            order,
            args,
        });
    }

    fn finish(
        &mut self,
        tid: u64,
        key: Key,
        name: Cow<'static, str>,
        cat: &'static str,
        t: Duration,
        extra: Args,
    ) {
        // A key is dropped with its last open span: a long run's lines do
        // not pile up.
        let std::collections::hash_map::Entry::Occupied(mut entry) = self.open.entry((tid, key))
        else {
            return;
        };
        let Some(Begun {
            start,
            order,
            mut args,
        }) = entry.get_mut().pop_front()
        else {
            return;
        };
        if entry.get().is_empty() {
            entry.remove();
        }
        args.outcome = extra.outcome;
        args.reason = extra.reason;
        let event = TraceEvent {
            order,
            name,
            cat,
            ph: "X",
            ts: micros(start),
            dur: Some(micros(t.saturating_sub(start))),
            pid: 1,
            tid,
            args,
        };
        // Only the program's thread has spans inside spans; a device's
        // attempts are written as they end.
        if tid == PROGRAM {
            self.ended.push(event);
        } else {
            self.write(&event);
        }
    }

    fn end_message(
        &mut self,
        device: &str,
        message: MessageType,
        line: u32,
        t: Duration,
        outcome: Args,
    ) {
        let tid = self.thread(device);
        let key = Key::Message(message, line);
        self.finish(tid, key, message.name().into(), "message", t, outcome);
    }

    fn end_delay(&mut self, line: u32, t: Duration, outcome: Args) {
        self.finish(
            PROGRAM,
            Key::Delay(line),
            "delay".into(),
            "program",
            t,
            outcome,
        );
    }

    fn end_link(&mut self, device: &str, link: Key, t: Duration) {
        let tid = self.thread(device);
        let name = if link == Key::Connect {
            "connect"
        } else {
            "disconnect"
        };
        self.finish(
            tid,
            link,
            name.into(),
            "device",
            t,
            Args::outcome("ok", None),
        );
    }

    fn end_wait(&mut self, line: u32, t: Duration, outcome: Args) {
        self.finish(
            PROGRAM,
            Key::Wait(line),
            "wait".into(),
            "program",
            t,
            outcome,
        );
    }

    /// Ends the trace: spans still open (work cancelled by a timeout or
    /// Ctrl-C inside a block) end with the run. The first error met while
    /// writing, if any.
    pub fn finish_file(mut self) -> std::io::Result<()> {
        let end = self.now;
        let mut open: Vec<(u64, Key)> = self.open.keys().cloned().collect();
        open.sort_by_key(|(tid, key)| (*tid, format!("{key:?}")));
        for (tid, key) in open {
            while self
                .open
                .get(&(tid, key.clone()))
                .is_some_and(|q| !q.is_empty())
            {
                let name = match &key {
                    Key::Connect => "connect",
                    Key::Disconnect => "disconnect",
                    Key::Message(message, _) => message.name(),
                    Key::Delay(_) => "delay",
                    Key::Wait(_) => "wait",
                    Key::Block(block, _) => block,
                };
                self.finish(
                    tid,
                    key.clone(),
                    name.into(),
                    "program",
                    end,
                    Args::outcome("cancelled", None),
                );
            }
        }
        self.flush_ended();
        self.raw(b"\n]}");
        if self.failed.is_none()
            && let Err(err) = self.out.flush()
        {
            self.failed = Some(err);
        }
        match self.failed {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}

impl Observer for Trace {
    fn event(&mut self, t: Duration, event: &Event<'_>) {
        if t > self.now {
            self.flush_ended();
            self.now = t;
        }
        match *event {
            Event::ConnectStart { device, id, .. } => {
                let tid = self.thread(device);
                let args = Args {
                    id: Some(id.to_string()),
                    ..Args::default()
                };
                self.begin(tid, Key::Connect, t, args);
            }
            Event::ConnectEnd { device, .. } => self.end_link(device, Key::Connect, t),
            Event::DisconnectStart { device, id, .. } => {
                let tid = self.thread(device);
                let args = Args {
                    id: Some(id.to_string()),
                    ..Args::default()
                };
                self.begin(tid, Key::Disconnect, t, args);
            }
            Event::DisconnectEnd { device, .. } => self.end_link(device, Key::Disconnect, t),
            Event::MessageStart {
                device,
                message,
                data,
                line,
                attempt,
                ..
            } => {
                let tid = self.thread(device);
                let args = Args {
                    message: Some(message.name()),
                    data: Some(data.map(str::to_string)),
                    attempt: Some(attempt),
                    line: Some(line),
                    ..Args::default()
                };
                self.begin(tid, Key::Message(message, line), t, args);
            }
            Event::MessageEnd {
                device,
                message,
                line,
                ..
            } => self.end_message(device, message, line, t, Args::outcome("ok", None)),
            Event::MessageFailed {
                device,
                message,
                line,
                reason,
                ..
            } => {
                let outcome = Args::outcome("failed", Some(reason));
                self.end_message(device, message, line, t, outcome);
            }
            Event::MessageCancelled {
                device,
                message,
                line,
                ..
            } => self.end_message(device, message, line, t, Args::outcome("cancelled", None)),
            Event::DelayStart { line } => {
                let args = Args {
                    line: Some(line),
                    ..Args::default()
                };
                self.begin(PROGRAM, Key::Delay(line), t, args)
            }
            Event::DelayEnd { line } => self.end_delay(line, t, Args::outcome("ok", None)),
            Event::DelayCancelled { line } => {
                self.end_delay(line, t, Args::outcome("cancelled", None))
            }
            Event::WaitStart {
                device,
                line,
                state,
            } => {
                let args = Args {
                    device: Some(device.to_string()),
                    state: Some(Value::Object(state.clone())),
                    line: Some(line),
                    ..Args::default()
                };
                self.begin(PROGRAM, Key::Wait(line), t, args);
            }
            Event::WaitEnd { line, .. } => self.end_wait(line, t, Args::outcome("ok", None)),
            Event::WaitFailed { line, reason, .. } => {
                self.end_wait(line, t, Args::outcome("failed", Some(reason)))
            }
            Event::WaitCancelled { line, .. } => {
                self.end_wait(line, t, Args::outcome("cancelled", None))
            }
            Event::BlockStart { line, block, name } => {
                let args = Args {
                    line: Some(line),
                    routine: Some(name.map(str::to_string)),
                    ..Args::default()
                };
                self.begin(PROGRAM, Key::Block(block, line), t, args);
            }
            Event::BlockEnd { line, block } => {
                let key = Key::Block(block, line);
                let name = match self
                    .open
                    .get(&(PROGRAM, key.clone()))
                    .and_then(|q| q.front())
                    .and_then(|begun| begun.args.routine.clone().flatten())
                {
                    Some(routine) => Cow::Owned(format!("run {routine}")),
                    None => Cow::Borrowed(block),
                };
                self.finish(PROGRAM, key, name, "program", t, Args::default());
            }
            Event::MessageRetry { .. }
            | Event::NodeFailed { .. }
            | Event::State { .. }
            | Event::RunEnd { .. } => {}
        }
    }
}
