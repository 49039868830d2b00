//! Property tests: random programs (nesting, routines, delays, timeouts,
//! retries, `continue_on_error`, a device with seeded failures), each run
//! under virtual time, against a model of the tree written here from the
//! format's rules. The run's duration, status and counts of attempts
//! started, done and failed must be the model's.
//!
//! The seeded failures are the one input the model takes from the run:
//! which attempts of the flaky device failed (it is used only outside
//! routines, so each of its lines runs at most once). Everything else
//! (when each attempt starts, times out, is retried or is cancelled, and
//! what fails with it) the model works out itself.

mod common;

use std::collections::HashSet;
use std::fmt::Write;

use common::Test;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Devices: name, latency in ms, failure rate.
const DEVICES: [(&str, u64, f64); 4] = [
    ("a", 13, 0.0),
    ("b", 29, 0.0),
    ("c", 61, 0.0),
    ("flaky", 17, 0.4),
];
/// Timeouts and backoffs never equal a latency, nor a sum the model could
/// tie with by chance as often.
const TIMEOUTS: [u64; 4] = [5, 23, 47, 97];
const BACKOFFS: [u64; 2] = [3, 11];
const DELAYS: [u64; 3] = [7, 19, 41];

#[derive(Clone, Debug)]
enum Node {
    Message {
        device: usize,
        timeout: Option<u64>,
        retry: Option<(u32, u64)>,
        carry_on: bool,
        line: u32,
    },
    Delay(u64),
    Sequence(Vec<Node>),
    Parallel(Vec<Node>),
    Run(usize),
}

struct Generator {
    rng: StdRng,
    routines: usize,
}

impl Generator {
    fn node(&mut self, depth: u32, flaky: bool) -> Node {
        if depth == 0 || self.rng.random_bool(0.4) {
            if self.rng.random_bool(0.25) {
                return Node::Delay(DELAYS[self.rng.random_range(0..DELAYS.len())]);
            }
            let devices = if flaky { 4 } else { 3 };
            return Node::Message {
                device: self.rng.random_range(0..devices),
                timeout: self
                    .rng
                    .random_bool(0.4)
                    .then(|| TIMEOUTS[self.rng.random_range(0..TIMEOUTS.len())]),
                retry: self.rng.random_bool(0.4).then(|| {
                    (
                        self.rng.random_range(2..=3),
                        BACKOFFS[self.rng.random_range(0..BACKOFFS.len())],
                    )
                }),
                carry_on: self.rng.random_bool(0.15),
                line: 0,
            };
        }
        if self.routines > 0 && self.rng.random_bool(0.2) {
            return Node::Run(self.rng.random_range(0..self.routines));
        }
        let children = (0..self.rng.random_range(1..=3))
            .map(|_| self.node(depth - 1, flaky))
            .collect();
        if self.rng.random_bool(0.5) {
            Node::Sequence(children)
        } else {
            Node::Parallel(children)
        }
    }
}

/// Writes `node` as YAML at `indent`, one node per line (in block style),
/// numbering each message's line.
fn write(node: &mut Node, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let line = out.lines().count() as u32 + 1;
    match node {
        Node::Message {
            device,
            timeout,
            retry,
            carry_on,
            line: at,
        } => {
            *at = line;
            let _ = write!(
                out,
                "{pad}- {{ device: {}, message: SWITCH_ON",
                DEVICES[*device].0
            );
            if let Some(timeout) = timeout {
                let _ = write!(out, ", timeout: {timeout}ms");
            }
            if let Some((attempts, backoff)) = retry {
                let _ = write!(
                    out,
                    ", retry: {{ attempts: {attempts}, backoff: {backoff}ms }}"
                );
            }
            if *carry_on {
                out.push_str(", continue_on_error: true");
            }
            out.push_str(" }\n");
        }
        Node::Delay(ms) => {
            let _ = writeln!(out, "{pad}- delay: {ms}ms");
        }
        Node::Run(routine) => {
            let _ = writeln!(out, "{pad}- run: r{routine}");
        }
        Node::Sequence(children) => block("sequence", children, indent, out),
        Node::Parallel(children) => block("parallel", children, indent, out),
    }
}

fn block(key: &str, children: &mut [Node], indent: usize, out: &mut String) {
    let _ = writeln!(out, "{}- {key}:", " ".repeat(indent));
    for child in children {
        write(child, indent + 4, out);
    }
}

/// What a node came to in the model.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    Done(u64),
    Failed(u64),
    /// Still running (or not yet started) when cancelled.
    Cancelled,
}

#[derive(Default, Debug, PartialEq, Clone, Copy)]
struct Counts {
    started: usize,
    done: usize,
    failed: usize,
}

struct Model<'a> {
    routines: &'a [Node],
    /// (line, attempt) of the flaky device's attempts that failed.
    flaky_failures: &'a HashSet<(u32, u32)>,
}

impl Model<'_> {
    /// Runs `node` from `start` until it ends or `cancel`: work that ends
    /// at `cancel` is done, work that starts at `cancel` starts and is
    /// cancelled at once.
    fn run(&self, node: &Node, start: u64, cancel: u64, counts: &mut Counts) -> Outcome {
        if start > cancel {
            return Outcome::Cancelled;
        }
        match node {
            Node::Delay(ms) if start + ms <= cancel => Outcome::Done(start + ms),
            Node::Delay(_) => Outcome::Cancelled,
            Node::Run(routine) => self.run(&self.routines[*routine], start, cancel, counts),
            Node::Sequence(children) => {
                let mut at = start;
                for child in children {
                    match self.run(child, at, cancel, counts) {
                        Outcome::Done(end) => at = end,
                        other => return other,
                    }
                }
                Outcome::Done(at)
            }
            Node::Parallel(children) => {
                // The first failure, if any, cancels the others at its instant.
                let mut trial = Counts::default();
                let first_failure = children
                    .iter()
                    .filter_map(|child| match self.run(child, start, cancel, &mut trial) {
                        Outcome::Failed(at) => Some(at),
                        _ => None,
                    })
                    .min();
                let until = first_failure.unwrap_or(cancel);
                let outcomes: Vec<Outcome> = children
                    .iter()
                    .map(|child| self.run(child, start, until, counts))
                    .collect();
                if let Some(at) = first_failure {
                    return Outcome::Failed(at);
                }
                if outcomes.contains(&Outcome::Cancelled) {
                    return Outcome::Cancelled;
                }
                Outcome::Done(
                    outcomes
                        .iter()
                        .map(|o| match o {
                            Outcome::Done(end) => *end,
                            _ => start,
                        })
                        .max()
                        .unwrap_or(start),
                )
            }
            Node::Message {
                device,
                timeout,
                retry,
                carry_on,
                line,
            } => {
                let (_, latency, _) = DEVICES[*device];
                let (attempts, mut backoff) = retry.unwrap_or((1, 0));
                let mut at = start;
                for attempt in 1..=attempts {
                    if at > cancel {
                        return Outcome::Cancelled;
                    }
                    counts.started += 1;
                    let (end, fails) = match timeout {
                        Some(timeout) if *timeout < latency => (at + timeout, true),
                        _ => (
                            at + latency,
                            self.flaky_failures.contains(&(*line, attempt)),
                        ),
                    };
                    if end > cancel {
                        return Outcome::Cancelled;
                    }
                    if !fails {
                        counts.done += 1;
                        return Outcome::Done(end);
                    }
                    counts.failed += 1;
                    if attempt == attempts {
                        return if *carry_on {
                            Outcome::Done(end)
                        } else {
                            Outcome::Failed(end)
                        };
                    }
                    at = end + backoff;
                    backoff *= 2;
                }
                unreachable!("the last attempt returns")
            }
        }
    }
}

fn program(seed: u64) -> (String, Vec<Node>, Node) {
    let mut generator = Generator {
        rng: StdRng::seed_from_u64(seed),
        routines: 0,
    };
    let mut routines = Vec::new();
    for _ in 0..generator.rng.random_range(0..=2) {
        let body = Node::Sequence(
            (0..generator.rng.random_range(1..=3))
                .map(|_| generator.node(2, false))
                .collect(),
        );
        routines.push(body);
        generator.routines += 1;
    }
    let mut top = Node::Sequence(
        (0..generator.rng.random_range(1..=4))
            .map(|_| generator.node(3, true))
            .collect(),
    );
    let mut text = String::from("devices:\n");
    for (name, latency, failure_rate) in DEVICES {
        let _ = writeln!(
            text,
            "  {name}: {{ kind: hue_light, latency: {latency}ms, failure_rate: {failure_rate} }}"
        );
    }
    if !routines.is_empty() {
        text.push_str("routines:\n");
        for (i, body) in routines.iter_mut().enumerate() {
            let _ = writeln!(text, "  r{i}:");
            if let Node::Sequence(children) = body {
                for child in children {
                    write(child, 4, &mut text);
                }
            }
        }
    }
    text.push_str("program:\n");
    if let Node::Sequence(children) = &mut top {
        for child in children {
            write(child, 2, &mut text);
        }
    }
    (text, routines, top)
}

#[test]
fn random_programs_take_the_time_and_the_attempts_of_the_model() {
    let mut failures = Vec::new();
    // What the programs covered: runs failed, runs with a cancelled
    // message, with a retry, with a seeded failure, with a routine.
    let mut covered = [0usize; 5];
    for seed in 0..200 {
        let (text, routines, top) = program(seed);
        let run = Test::new()
            .program(&text)
            .args([
                "run",
                "--virtual-time",
                "--seed",
                &seed.to_string(),
                "--format",
                "json",
                "program.yaml",
            ])
            .run_any_status();
        let events = run.json_lines();
        let count = |name: &str| events.iter().filter(|e| e["event"] == name).count();
        let flaky_failures: HashSet<(u32, u32)> = events
            .iter()
            .filter(|e| e["event"] == "message_failed" && e["reason"] == "device_error")
            .map(|e| {
                (
                    e["line"].as_u64().unwrap_or(0) as u32,
                    e["attempt"].as_u64().unwrap_or(0) as u32,
                )
            })
            .collect();
        for (i, hit) in [
            events.last().is_some_and(|e| e["status"] == "failed"),
            count("message_cancelled") > 0,
            count("message_retry") > 0,
            !flaky_failures.is_empty(),
            !routines.is_empty(),
        ]
        .into_iter()
        .enumerate()
        {
            covered[i] += usize::from(hit);
        }
        let model = Model {
            routines: &routines,
            flaky_failures: &flaky_failures,
        };
        let mut counts = Counts::default();
        // Every device connects at once, then the program, then every
        // device disconnects; each link takes the device's latency.
        let link = DEVICES.iter().map(|d| d.1).max().unwrap_or(0);
        let outcome = model.run(&top, link, u64::MAX, &mut counts);
        let (status, end) = match outcome {
            Outcome::Done(end) => ("ok", end),
            Outcome::Failed(end) => ("failed", end),
            Outcome::Cancelled => unreachable!("nothing cancels the program"),
        };
        let expected = (status, end + link, counts);
        let last = events.last().cloned().unwrap_or_default();
        let seen = (
            last["status"].as_str().unwrap_or("?"),
            (last["duration"].as_f64().unwrap_or(-1.0) * 1000.0).round() as u64,
            Counts {
                started: count("message_start"),
                done: count("message_end"),
                failed: count("message_failed"),
            },
        );
        if seen != expected {
            failures.push(format!(
                "seed {seed}: run {seen:?}, model {expected:?}\n{text}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        covered.iter().all(|&n| n >= 10),
        "too few programs failed, cancelled, retried, failed by seed or ran routines: {covered:?}"
    );
}
