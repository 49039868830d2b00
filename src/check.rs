//! AST -> plan. Checks what the shape alone cannot: names that must resolve,
//! messages a device accepts, the data a message needs, routine cycles,
//! nesting through routines, and what is declared but never used.

use std::collections::HashMap;
use std::time::Duration;

use crate::ast::{self, Node, NodeKind, Program, Spanned};
use crate::diagnostic::{Diagnostic, Span, all, shown, suggest};
use crate::message::{DataRule, is_colour};
use crate::parse::{MAX_NODE_DEPTH, too_deep};
use crate::plan::{Plan, PlanDevice, Retry, Step, StepKind};
use crate::problem::Problem;
use crate::routines::{self, Calls};
use crate::source::Source;

/// Checks a lowered program. The plan is there only when nothing is wrong
/// (warnings allowed); `parse_ok` says whether lowering reported errors.
pub fn check(
    program: &Program,
    source: &Source,
    parse_ok: bool,
) -> (Option<Plan>, Vec<Diagnostic>) {
    let mut checker = Checker::new(program);
    checker.resolve_kinds();
    checker.walk_all();
    checker.routine_graph();
    let ok = parse_ok && !checker.diagnostics.iter().any(Diagnostic::is_error);
    // A node that could not be read may well have used a device or run a
    // routine: "never used" is only worth saying about a sound file.
    if ok {
        checker.unused();
    }
    let mut plan = ok.then(|| checker.plan(source)).flatten();
    // Sound, but maybe more work than any run can do: measured with every
    // `run` expanded, without expanding anything.
    if let Some(too_large) = plan.as_ref().and_then(crate::limits::too_large) {
        checker.diagnostics.push(too_large);
        plan = None;
    }
    (plan, checker.diagnostics)
}

/// Which declared names a "did you mean" looks among.
#[derive(Clone, Copy)]
enum Names {
    Devices,
    Routines,
}

struct Checker<'a> {
    program: &'a Program,
    /// The kinds a device may be of: the built-in ones, then the file's
    /// sound ones.
    kinds: Vec<crate::device::Kind>,
    /// Every kind name a device may use, declared ones too even when their
    /// declaration is broken (reported already): `None` for those.
    kind_index: HashMap<&'a str, Option<usize>>,
    /// Each device's kind in `kinds`, once resolved.
    device_kinds: Vec<Option<usize>>,
    /// Whether some `wait` names the device.
    device_watched: Vec<bool>,
    device_names: Vec<&'a str>,
    routine_names: Vec<&'a str>,
    /// Name comparisons spent on suggestions so far.
    comparisons: usize,
    devices: HashMap<&'a str, usize>,
    routines: HashMap<&'a str, usize>,
    device_used: Vec<bool>,
    /// For each routine, the routines it runs and where.
    calls: Calls,
    /// Routines, callees first; known once the graph is found acyclic.
    order: Vec<usize>,
    /// Routines the program itself runs, and where.
    root_calls: Vec<(usize, Span)>,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    fn new(program: &'a Program) -> Self {
        let devices = program
            .devices
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.value.as_str(), i))
            .collect();
        let routines = program
            .routines
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.value.as_str(), i))
            .collect();
        let mut kinds = crate::device::Kind::builtins();
        let mut kind_index: HashMap<&str, Option<usize>> = HashMap::new();
        for (index, name) in crate::device::BUILTIN.iter().enumerate() {
            kind_index.insert(name, Some(index));
        }
        for decl in &program.kinds {
            // One named like a built-in kind is reported already, and the
            // built-in one stays what the name means.
            kind_index
                .entry(decl.name.value.as_str())
                .or_insert_with(|| {
                    decl.kind.as_ref().map(|kind| {
                        kinds.push(kind.clone());
                        kinds.len() - 1
                    })
                });
        }
        Checker {
            program,
            kinds,
            kind_index,
            device_kinds: vec![None; program.devices.len()],
            device_watched: vec![false; program.devices.len()],
            device_names: program
                .devices
                .iter()
                .map(|d| d.name.value.as_str())
                .collect(),
            routine_names: program
                .routines
                .iter()
                .map(|r| r.name.value.as_str())
                .collect(),
            comparisons: 0,
            devices,
            routines,
            device_used: vec![false; program.devices.len()],
            calls: vec![Vec::new(); program.routines.len()],
            order: Vec::new(),
            root_calls: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    /// Each device's `kind`, among the built-in and the declared kinds.
    fn resolve_kinds(&mut self) {
        for (index, device) in self.program.devices.iter().enumerate() {
            let Some(kind) = &device.kind else {
                continue;
            };
            match self.kind_index.get(kind.value.as_str()) {
                Some(resolved) => self.device_kinds[index] = *resolved,
                None => {
                    let mut names: Vec<&str> = crate::device::BUILTIN.to_vec();
                    names.extend(self.program.kinds.iter().map(|k| k.name.value.as_str()));
                    self.diagnostics.push(
                        Diagnostic::from(Problem::UnknownKind { kind: &kind.value })
                            .at(kind.span, "unknown kind")
                            .with_help(suggest(&kind.value, "the kinds are", &names)),
                    );
                }
            }
        }
    }

    fn walk_all(&mut self) {
        for (index, routine) in self.program.routines.iter().enumerate() {
            let mut calls = Vec::new();
            self.walk(&routine.body, &mut calls);
            self.calls[index] = calls;
        }
        if let Some(root) = &self.program.program {
            let mut calls = Vec::new();
            self.walk(root, &mut calls);
            self.root_calls = calls;
        }
    }

    /// Checks one node and its children (nesting is bounded by the parser).
    fn walk(&mut self, node: &'a Node, calls: &mut Vec<(usize, Span)>) {
        match &node.kind {
            NodeKind::Message {
                device,
                message,
                data,
            } => {
                self.message(device, message, data);
                if let (Some(timeout), Some(&index)) = (
                    &node.options.timeout,
                    self.devices.get(device.value.as_str()),
                ) {
                    self.short_timeout(timeout, index);
                }
                // A confirmed message waits for the device's report, which
                // may never come.
                let confirmed = self
                    .devices
                    .get(device.value.as_str())
                    .and_then(|&index| self.program.devices[index].mqtt.as_ref())
                    .is_some_and(|mqtt| mqtt.confirm);
                if confirmed && node.options.timeout.is_none() {
                    self.diagnostics.push(
                        Diagnostic::from(Problem::UnboundedConfirm {
                            device: &device.value,
                        })
                        .at(message.span, "no `timeout`")
                        .with_help("give it one, e.g. `timeout: 10s`: a report that never comes then fails the message instead of holding the run forever"),
                    );
                }
            }
            NodeKind::Sequence(children) | NodeKind::Parallel(children) => {
                for child in children {
                    self.walk(child, calls);
                }
            }
            NodeKind::Run(name) => match self.routines.get(name.value.as_str()) {
                Some(&index) => calls.push((index, name.span)),
                None => {
                    let help = self.name_help(&name.value, Names::Routines);
                    self.diagnostics.push(
                        Diagnostic::from(Problem::UnknownRoutine {
                            routine: &name.value,
                        })
                        .at(name.span, "unknown routine")
                        .with_help(help),
                    );
                }
            },
            NodeKind::Misspelled(children) => {
                for child in children {
                    self.walk(child, calls);
                }
            }
            NodeKind::Wait {
                device,
                state,
                fields,
            } => self.wait(node, device, state, fields),
            NodeKind::Delay(_) | NodeKind::Invalid => {}
        }
    }

    /// A `wait`: its device must exist, its state must name fields, each
    /// field should be one the device can come to have, and it should have
    /// a `timeout`.
    fn wait(
        &mut self,
        node: &Node,
        device: &Spanned<String>,
        state: &Spanned<serde_json::Value>,
        fields: &[Spanned<String>],
    ) {
        let index = match self.devices.get(device.value.as_str()) {
            Some(&index) => Some(index),
            None if !self.program.devices_declared => None,
            None => {
                let help = self.name_help(&device.value, Names::Devices);
                self.diagnostics.push(
                    Diagnostic::from(Problem::UnknownDevice {
                        device: &device.value,
                    })
                    .at(device.span, "not declared under `devices`")
                    .with_help(help),
                );
                None
            }
        };
        if let Some(index) = index {
            self.device_used[index] = true;
            self.device_watched[index] = true;
        }
        let wanted = match &state.value {
            serde_json::Value::Object(wanted) if !wanted.is_empty() => Some(wanted),
            serde_json::Value::Object(_) => {
                self.diagnostics.push(
                    Diagnostic::from(Problem::EmptyWaitState)
                        .at(state.span, "no fields")
                        .with_help("name the fields to wait for, e.g. `state: { position: 100 }`"),
                );
                None
            }
            other => {
                self.diagnostics.push(
                    Diagnostic::from(Problem::WaitStateNotMapping {
                        what: describe_json(other),
                    })
                    .at(state.span, "expected a mapping")
                    .with_help("name the fields to wait for, e.g. `state: { position: 100 }`"),
                );
                None
            }
        };
        if node.options.timeout.is_none() {
            self.diagnostics.push(
                Diagnostic::from(Problem::UnboundedWait)
                .at(node.span, "no `timeout`")
                .with_help("give it one, e.g. `timeout: 30s`: a state that never comes then fails the node instead of holding the run forever"),
            );
        }
        if let (Some(index), Some(wanted)) = (index, wanted) {
            self.unreachable_state(index, state.span, wanted, fields);
        }
    }

    /// A wanted field that no command payload of the device's kind sets,
    /// nor its starting state: the wait can only end by its timeout.
    fn unreachable_state(
        &mut self,
        device: usize,
        span: Span,
        wanted: &serde_json::Map<String, serde_json::Value>,
        fields: &[Spanned<String>],
    ) {
        let Some(kind) = self.device_kinds[device].map(|k| &self.kinds[k]) else {
            return;
        };
        let declared = &self.program.devices[device];
        // A real device reports what it has, payloads or not.
        if declared.mqtt.is_some() {
            return;
        }
        let mut settable: Vec<&str> = Vec::new();
        let payloads: Vec<_> = kind.accepts.iter().map(|&m| kind.payload(m)).collect();
        for payload in &payloads {
            for field in payload
                .as_state()
                .into_iter()
                .flat_map(|state| state.keys())
            {
                if !settable.contains(&field.as_str()) {
                    settable.push(field);
                }
            }
        }
        for field in declared.state.keys() {
            if !settable.contains(&field.as_str()) {
                settable.push(field);
            }
        }
        let missing: Vec<&str> = wanted
            .keys()
            .map(String::as_str)
            .filter(|field| !settable.contains(field))
            .collect();
        if missing.is_empty() {
            return;
        }
        let name = shown(&declared.name.value);
        let listed = all(&missing);
        let set = if settable.is_empty() {
            format!("the messages of a {kind} set no field")
        } else {
            format!("the fields `{name}` can have are {}", all(&settable))
        };
        let mut diagnostic = Diagnostic::from(Problem::UnreachableState {
            device: &name,
            fields: &listed,
        });
        // Each missing field is labelled on its key; the state as a whole
        // where the keys are not at hand.
        let mut labelled = false;
        for field in fields
            .iter()
            .filter(|f| missing.contains(&f.value.as_str()))
        {
            diagnostic = diagnostic.at(field.span, "never set");
            labelled = true;
        }
        if !labelled {
            diagnostic = diagnostic.at(span, "may never be reached");
        }
        self.diagnostics.push(
            diagnostic
                .also(declared.name.span, format!("`{name}` declared here"))
                .with_help(format!(
                    "{set}; set {listed} in a payload of its kind (`payloads:`) or in the device's `state:`"
                )),
        );
    }

    /// "did you mean" among the declared names. Each lookup compares the
    /// wrong name with every declared one, so a file with thousands of both
    /// would take minutes: past a budget of comparisons the help lists
    /// the names instead.
    fn name_help(&mut self, wrong: &str, names: Names) -> String {
        const BUDGET: usize = 500_000;
        let (declared, what, empty) = match names {
            Names::Devices => (
                &self.device_names,
                "the devices are",
                "no devices are declared; add them under `devices:`",
            ),
            Names::Routines => (
                &self.routine_names,
                "the routines are",
                "no routines are declared; add them under `routines:`",
            ),
        };
        if declared.is_empty() {
            return empty.to_string();
        }
        self.comparisons += declared.len();
        if self.comparisons <= BUDGET {
            suggest(wrong, what, declared)
        } else {
            format!("{what} {}", all(declared))
        }
    }

    /// A message's timeout below its device's latency fails every attempt.
    fn short_timeout(&mut self, timeout: &Spanned<Duration>, device: usize) {
        let declared = &self.program.devices[device];
        if timeout.value >= declared.latency || declared.latency_rejected {
            return;
        }
        self.diagnostics.push(
            Diagnostic::from(Problem::ShortTimeout {
                timeout: timeout.value,
                device: &declared.name.value,
                latency: declared.latency,
            })
            .at(timeout.span, "every attempt will time out")
            .also(declared.name.span, "device declared here")
            .with_help("make the timeout longer than the device's latency (and jitter)"),
        );
    }

    fn message(
        &mut self,
        device: &Spanned<String>,
        message: &Spanned<crate::message::MessageType>,
        data: &ast::Data,
    ) {
        match self.devices.get(device.value.as_str()) {
            None if !self.program.devices_declared => {}
            None => {
                let help = self.name_help(&device.value, Names::Devices);
                self.diagnostics.push(
                    Diagnostic::from(Problem::UnknownDevice {
                        device: &device.value,
                    })
                    .at(device.span, "not declared under `devices`")
                    .with_help(help),
                );
            }
            Some(&index) => {
                self.device_used[index] = true;
                let declared = &self.program.devices[index];
                if let (Some(kind), Some(resolved)) = (&declared.kind, self.device_kinds[index])
                    && !self.kinds[resolved].accepts(message.value)
                {
                    let accepted: Vec<&str> = self.kinds[resolved]
                        .accepts
                        .iter()
                        .map(|m| m.name())
                        .collect();
                    self.diagnostics.push(
                        Diagnostic::from(Problem::UnsupportedMessage {
                            device: &device.value,
                            kind: &self.kinds[resolved].to_string(),
                            message: message.value,
                        })
                        .at(message.span, "not accepted by this device")
                        .also(
                            kind.span,
                            format!("`{}` declared here", shown(&device.value)),
                        )
                        .with_help(format!(
                            "a {} accepts {}",
                            self.kinds[resolved],
                            all(&accepted)
                        )),
                    );
                }
            }
        }
        // A payload that uses `{data}` uses the data, whatever the type.
        let uses_data = self
            .devices
            .get(device.value.as_str())
            .and_then(|&index| self.device_kinds[index])
            .is_some_and(|kind| self.kinds[kind].payload(message.value).uses_data());
        if !matches!(data, ast::Data::Broken) {
            self.data(message, data.text(), uses_data);
        }
    }

    fn data(
        &mut self,
        message: &Spanned<crate::message::MessageType>,
        data: Option<&Spanned<String>>,
        payload_uses_data: bool,
    ) {
        let rule = message.value.data_rule();
        let diagnostic = match (rule, data) {
            (DataRule::Ignored, None) => return,
            (DataRule::Ignored, Some(_)) if payload_uses_data => return,
            (DataRule::Ignored, Some(data)) => Diagnostic::from(Problem::UnusedData {
                message: message.value,
            })
            .at(data.span, "ignored")
            .with_help("remove `data`"),
            (DataRule::Colour, None) => Diagnostic::from(Problem::MissingColour)
            .at(message.span, "no `data`")
            .with_help("add `data: \"#RRGGBB\"`, e.g. `data: \"#FF8800\"` (in quotes: YAML reads `#` as a comment)"),
            (DataRule::Colour, Some(data)) if data.value.is_empty() => Diagnostic::from(Problem::EmptyColour)
            .at(data.span, "empty")
            .with_help("put the colour in quotes, `data: \"#FF8800\"`: YAML reads an unquoted `#` as the start of a comment"),
            (DataRule::Colour, Some(data)) if !is_colour(&data.value) => Diagnostic::from(Problem::NotAColour { data: &data.value })
            .at(data.span, "expected `#RRGGBB`")
            .with_help(match crate::message::likely_colour(&data.value) {
                Some(meant) => format!("did you mean `\"{meant}\"`? a colour is `#` and six hexadecimal digits"),
                None => "a colour is `#` and six hexadecimal digits, e.g. `\"#FF8800\"`".to_string(),
            }),
            (DataRule::Song, None) => Diagnostic::from(Problem::MissingSong)
            .at(message.span, "no `data`")
            .with_help("add the song, e.g. `data: \"Miles Davis - Kind of Blue\"`"),
            (DataRule::Song, Some(data)) if data.value.trim().is_empty() => Diagnostic::from(Problem::EmptySong)
            .at(data.span, "empty")
            .with_help("name the song, e.g. `data: \"Miles Davis - Kind of Blue\"`"),
            (DataRule::Colour | DataRule::Song, Some(_)) => return,
        };
        self.diagnostics.push(diagnostic);
    }

    /// Cycles, unused routines and nesting through routines.
    fn routine_graph(&mut self) {
        let components = routines::components(&self.calls);
        let mut cyclic = false;
        for component in &components {
            if routines::is_cycle(&self.calls, component) {
                cyclic = true;
                let cycle = routines::cycle_in(&self.calls, component);
                self.diagnostics.push(self.cycle_diagnostic(&cycle));
            }
        }
        if cyclic {
            return;
        }
        self.order = components.into_iter().flatten().collect();
        if let Some(root) = &self.program.program {
            let depths = routine_depths(&self.program.routines, &self.order, &self.routines);
            if let Some(span) = too_deep_run(root, 0, &depths, &self.routines) {
                self.diagnostics.push(too_deep(span));
            }
        }
    }

    /// Devices that get no message and routines that never run.
    fn unused(&mut self) {
        for (device, used) in self.program.devices.iter().zip(&self.device_used) {
            if !used {
                self.diagnostics.push(
                    Diagnostic::from(Problem::UnusedDevice {
                        device: &device.name.value,
                    })
                    .at(device.name.span, "declared here, never used")
                    .with_help(
                        "remove it, or send it a message; it is still connected and disconnected",
                    ),
                );
            }
        }
        for decl in &self.program.kinds {
            let used = self.program.devices.iter().any(|device| {
                device
                    .kind
                    .as_ref()
                    .is_some_and(|kind| kind.value == decl.name.value)
            });
            if !used {
                self.diagnostics.push(
                    Diagnostic::from(Problem::UnusedKind {
                        kind: &decl.name.value,
                    })
                    .at(decl.name.span, "declared here, no device is of it")
                    .with_help(format!(
                        "declare a device of it, `kind: {}`, or remove it",
                        shown(&decl.name.value)
                    )),
                );
            }
        }
        let reachable = routines::reachable(&self.calls, &self.root_calls);
        for (routine, reached) in self.program.routines.iter().zip(&reachable) {
            if !reached {
                self.diagnostics.push(
                    Diagnostic::from(Problem::UnusedRoutine {
                        routine: &routine.name.value,
                    })
                    .at(routine.name.span, "declared here, never run")
                    .with_help(format!(
                        "run it with `run: {}`, or remove it",
                        shown(&routine.name.value)
                    )),
                );
            }
        }
    }

    fn cycle_diagnostic(&self, cycle: &[(usize, Span)]) -> Diagnostic {
        /// A cycle longer than this is shown by its first routines and its
        /// last: a diagnostic with thousands of labels helps nobody.
        const SHOWN: usize = 8;
        let name = |index: usize| shown(&self.program.routines[index].name.value);
        let first = cycle[0].0;
        let problem = if cycle.len() == 1 {
            Problem::RunsItself {
                routine: &self.program.routines[first].name.value,
            }
        } else {
            let mut path: Vec<String> = Vec::new();
            for (i, (index, _)) in cycle.iter().enumerate() {
                if i < SHOWN || i == cycle.len() - 1 {
                    path.push(format!("`{}`", name(*index)));
                } else if i == SHOWN {
                    path.push(format!("… ({} more)", cycle.len() - SHOWN - 1));
                }
            }
            path.push(format!("`{}`", name(first)));
            Problem::RoutineCycle {
                path: path.join(" -> "),
            }
        };
        // Each element is a routine and the `run` in it that leads on.
        let mut diagnostic = Diagnostic::from(problem);
        for (i, (_, span)) in cycle.iter().enumerate() {
            let next = cycle[(i + 1) % cycle.len()].0;
            let text = format!("runs `{}`", name(next));
            diagnostic = if i == cycle.len() - 1 {
                diagnostic.at(*span, format!("{text}, closing the cycle"))
            } else if i < SHOWN {
                diagnostic.also(*span, text)
            } else {
                diagnostic
            };
        }
        diagnostic
            .with_help("a routine cannot run itself, directly or through others; break the cycle")
    }

    fn plan(&self, source: &Source) -> Option<Plan> {
        let devices = self
            .program
            .devices
            .iter()
            .enumerate()
            .map(|(index, d)| {
                Some(PlanDevice {
                    name: d.name.value.clone(),
                    kind: self.device_kinds[index]?,
                    latency: d.latency,
                    jitter: d.jitter,
                    failure_rate: d.failure_rate,
                    state: d.state.clone(),
                    watched: self.device_watched[index],
                    mqtt: d.mqtt.clone(),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let routines = self
            .program
            .routines
            .iter()
            .map(|r| self.step(&r.body, source))
            .collect::<Option<Vec<_>>>()?;
        let root = self.step(self.program.program.as_ref()?, source)?;
        Some(Plan {
            name: self.program.name.clone(),
            kinds: self.kinds.clone(),
            devices,
            routines,
            routine_order: self.order.clone(),
            routine_names: self.routine_names.iter().map(|n| n.to_string()).collect(),
            root,
            mqtt: self.program.mqtt.clone(),
            folder: std::path::Path::new(&source.name)
                .parent()
                .map(std::path::Path::to_path_buf)
                .unwrap_or_default(),
        })
    }

    fn step(&self, node: &Node, source: &Source) -> Option<Step> {
        let kind = match &node.kind {
            NodeKind::Message {
                device,
                message,
                data,
            } => StepKind::Message {
                device: *self.devices.get(device.value.as_str())?,
                message: message.value,
                data: data.text().map(|d| d.value.clone()),
                retry: node.options.retry.unwrap_or(Retry {
                    attempts: 1,
                    backoff: Duration::ZERO,
                }),
            },
            NodeKind::Sequence(children) => StepKind::Sequence(self.steps(children, source)?),
            NodeKind::Parallel(children) => StepKind::Parallel(self.steps(children, source)?),
            NodeKind::Delay(duration) => StepKind::Delay(*duration),
            NodeKind::Run(name) => StepKind::Run(*self.routines.get(name.value.as_str())?),
            NodeKind::Wait { device, state, .. } => StepKind::Wait {
                device: *self.devices.get(device.value.as_str())?,
                state: state.value.as_object()?.clone(),
            },
            NodeKind::Invalid | NodeKind::Misspelled(_) => return None,
        };
        Some(Step {
            kind,
            span: node.span,
            line: source.line_of(node.span.offset),
            timeout: node.options.timeout.as_ref().map(|t| t.value),
            continue_on_error: node.options.continue_on_error,
        })
    }

    fn steps(&self, nodes: &[Node], source: &Source) -> Option<Vec<Step>> {
        nodes.iter().map(|node| self.step(node, source)).collect()
    }
}

/// A JSON value as a user would call it, for "not X".
fn describe_json(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "nothing",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "text",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a mapping",
    }
}

/// How many levels each routine's body nests, with the routines it runs
/// expanded; folded in `order`, callees first.
fn routine_depths(
    routines: &[ast::Routine],
    order: &[usize],
    index: &HashMap<&str, usize>,
) -> Vec<usize> {
    let mut depths = vec![None; routines.len()];
    for &routine in order {
        depths[routine] = Some(node_depth(&routines[routine].body, &depths, index));
    }
    depths.into_iter().map(Option::unwrap_or_default).collect()
}

fn node_depth(node: &Node, depths: &[Option<usize>], index: &HashMap<&str, usize>) -> usize {
    match &node.kind {
        NodeKind::Sequence(children) | NodeKind::Parallel(children) => {
            1 + children
                .iter()
                .map(|c| node_depth(c, depths, index))
                .max()
                .unwrap_or(0)
        }
        NodeKind::Run(name) => {
            let routine = index.get(name.value.as_str()).and_then(|&r| depths[r]);
            // Saturating: a chain of routines may claim absurd depths.
            1usize.saturating_add(routine.unwrap_or(0))
        }
        _ => 1,
    }
}

/// The outermost `run` whose routine takes the program past the nesting
/// limit, if any.
fn too_deep_run(
    node: &Node,
    depth: usize,
    depths: &[usize],
    routines: &HashMap<&str, usize>,
) -> Option<Span> {
    match &node.kind {
        NodeKind::Sequence(children) | NodeKind::Parallel(children) => children
            .iter()
            .find_map(|c| too_deep_run(c, depth + 1, depths, routines)),
        NodeKind::Run(name) => {
            let routine = *routines.get(name.value.as_str())?;
            (depth.saturating_add(1).saturating_add(depths[routine]) > MAX_NODE_DEPTH)
                .then_some(name.span)
        }
        _ => None,
    }
}
