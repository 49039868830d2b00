//! YAML tree -> AST. Reads the shape of the file: which keys exist, what type
//! each value has, which node form a mapping is, names, kinds, message types
//! and durations. It reports every such error of a file in one pass and goes
//! on past them, so the user sees all of them at once.

use std::collections::HashMap;
use std::time::Duration;

use crate::ast::{
    Data, Device, KindDecl, Node, NodeKind, Options, Program, Retry, Routine, Spanned,
};
use crate::device::{BUILTIN, Kind, Payload};
use crate::diagnostic::{Code, Diagnostic, Span, all, closest, list, shown, suggest};
use crate::duration;
use crate::message::MessageType;
use crate::source::Source;
use crate::yaml::{Value, Yaml};

mod mqtt;

/// How deep nodes may nest, counting the levels a `run` adds. The runner
/// recurses once per level, so this bounds its stack.
pub const MAX_NODE_DEPTH: usize = 200;

/// The most attempts a message may have: retries double their wait, and
/// more than this is a loop, not a retry policy.
pub const MAX_ATTEMPTS: u32 = 100;

/// Latency of a device that does not say, as in the seed.
pub const DEFAULT_LATENCY: Duration = Duration::from_millis(500);

const PROGRAM_KEYS: &[&str] = &[
    "name",
    "mqtt",
    "description",
    "kinds",
    "devices",
    "routines",
    "program",
];
const DEVICE_KEYS: &[&str] = &["kind", "latency", "jitter", "failure_rate", "state", "mqtt"];
const KIND_KEYS: &[&str] = &["display", "accepts", "payloads"];
const WAIT_KEYS: &[&str] = &["device", "state"];
const MESSAGE_KEYS: &[&str] = &["device", "message", "data"];
const NODE_KEYS: &[&str] = &[
    "device",
    "message",
    "data",
    "sequence",
    "parallel",
    "delay",
    "run",
    "wait",
    "timeout",
    "retry",
    "continue_on_error",
];
/// Keys any node may carry beside its form.
const OPTION_KEYS: &[&str] = &["timeout", "retry", "continue_on_error"];
const RETRY_KEYS: &[&str] = &["attempts", "backoff"];
const NODE_FORMS: &str = "a node is one of `{device, message}`, `{sequence: [...]}`, `{parallel: [...]}`, `{delay: ...}`, `{run: ...}`, `{wait: {device, state}}` or a list";

/// Lowers a parsed YAML tree to the AST, with every structural diagnostic.
pub fn lower(tree: &Yaml, source: &Source) -> (Program, Vec<Diagnostic>) {
    let mut lowerer = Lowerer {
        source,
        diagnostics: Vec::new(),
        reported_too_deep: false,
    };
    let program = lowerer.program(tree);
    (program, lowerer.diagnostics)
}

struct Lowerer<'s> {
    source: &'s Source,
    diagnostics: Vec<Diagnostic>,
    reported_too_deep: bool,
}

/// A mapping's entries whose keys are text, each key once.
struct Entries<'a> {
    entries: Vec<(Spanned<&'a str>, &'a Yaml<'a>)>,
}

impl<'a> Entries<'a> {
    fn get(&self, key: &str) -> Option<(Span, &'a Yaml<'a>)> {
        self.entries
            .iter()
            .find(|(k, _)| k.value == key)
            .map(|(k, v)| (k.span, *v))
    }
}

impl Lowerer<'_> {
    fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn program(&mut self, tree: &Yaml) -> Program {
        let mut program = Program::default();
        let Value::Map(map) = &tree.value else {
            self.report(
                Diagnostic::new(
                    Code::WrongType,
                    format!("a program is a mapping, but this is {}", tree.value.describe()),
                )
                .at(tree.span, "expected a mapping")
                .with_help("a program has `devices` and `program`, and may have `name`, `description` and `routines`"),
            );
            return program;
        };
        let entries = self.keys(map, PROGRAM_KEYS, "a program", "the program keys are");
        if let Some((_, value)) = entries.get("name") {
            program.name = self.scalar(value, "a name");
        }
        if let Some((_, value)) = entries.get("description") {
            self.scalar(value, "a description");
        }
        if let Some((_, value)) = entries.get("kinds") {
            program.kinds = self.kinds(value);
        }
        if let Some((_, value)) = entries.get("mqtt") {
            program.mqtt = self.mqtt_config(value);
        }
        // `Devices:` or `progam:` is reported as an unknown key with its
        // "did you mean"; what is under it is still checked, and the key is
        // not reported missing as well.
        let misspelled = |wanted: &str| {
            map.iter().find_map(|(key, value)| match &key.value {
                Value::Str(name)
                    if !PROGRAM_KEYS.contains(&name.as_ref())
                        && closest(name, PROGRAM_KEYS.iter().copied()) == Some(wanted) =>
                {
                    Some((key.span, value))
                }
                _ => None,
            })
        };
        match entries.get("devices").or_else(|| misspelled("devices")) {
            Some((_, value)) => {
                program.devices_declared = matches!(value.value, Value::Map(_));
                program.devices = self.devices(value);
            }
            None => self.report(
                Diagnostic::new(Code::MissingKey, "the program has no `devices`")
                    .at(first_key_span(tree), "`devices` belongs in this mapping")
                    .with_help(
                        "declare the devices, e.g. `devices: { light: { kind: hue_light } }`",
                    ),
            ),
        }
        if let Some((_, value)) = entries.get("routines") {
            program.routines = self.routines(value);
        }
        match entries.get("program").or_else(|| misspelled("program")) {
            Some((key, value)) => program.program = Some(self.top_node(key, value)),
            None => self.report(
                Diagnostic::new(Code::MissingKey, "the program has no `program`")
                    .at(first_key_span(tree), "`program` belongs in this mapping")
                    .with_help("add the root node, e.g. `program: [ { device: light, message: SWITCH_ON } ]`"),
            ),
        }
        program
    }

    /// Reads a mapping with a fixed set of keys: reports keys that are not
    /// text, duplicates and unknown keys, and returns the rest.
    fn keys<'a>(
        &mut self,
        map: &'a [(Yaml<'a>, Yaml<'a>)],
        allowed: &[&str],
        owner: &str,
        choices: &str,
    ) -> Entries<'a> {
        let named = self.named_entries(map, owner);
        let mut entries = Entries {
            entries: Vec::new(),
        };
        for (key, value) in named {
            if allowed.contains(&key.value) {
                entries.entries.push((key, value));
            } else {
                self.report(unknown_key(&key, owner, allowed, choices));
            }
        }
        entries
    }

    /// The entries of a mapping whose keys are text, each key once; a key
    /// that is not text or that came before is reported.
    fn named_entries<'a>(
        &mut self,
        map: &'a [(Yaml<'a>, Yaml<'a>)],
        owner: &str,
    ) -> Vec<(Spanned<&'a str>, &'a Yaml<'a>)> {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut entries = Vec::with_capacity(map.len());
        for (key, value) in map {
            let Value::Str(name) = &key.value else {
                self.report(
                    Diagnostic::new(
                        Code::WrongType,
                        format!(
                            "a key in {owner} must be text, not {}",
                            key.value.describe()
                        ),
                    )
                    .at(key.span, "expected text"),
                );
                continue;
            };
            if let Some(first) = seen.get(name.as_ref()) {
                self.report(
                    Diagnostic::new(
                        Code::DuplicateKey,
                        format!("`{}` is defined twice in {owner}", shown(name)),
                    )
                    .at(key.span, "defined again here")
                    .also(*first, "first defined here")
                    .with_help("keep one of them"),
                );
                continue;
            }
            seen.insert(name, key.span);
            entries.push((Spanned::new(name.as_ref(), key.span), value));
        }
        entries
    }

    fn devices(&mut self, value: &Yaml) -> Vec<Device> {
        let Value::Map(map) = &value.value else {
            self.report(
                wrong_type(value, "a mapping of device names to devices")
                    .with_help("write e.g. `devices: { light: { kind: hue_light } }`"),
            );
            return Vec::new();
        };
        let mut devices = Vec::new();
        for (name, definition) in self.named_entries(map, "`devices`") {
            self.check_name(&name, "device");
            devices.push(self.device(name, definition));
        }
        devices
    }

    fn device(&mut self, name: Spanned<&str>, definition: &Yaml) -> Device {
        let mut device = Device {
            name: Spanned::new(name.value.to_string(), name.span),
            kind: None,
            state: serde_json::Map::new(),
            latency: DEFAULT_LATENCY,
            latency_rejected: false,
            jitter: Duration::ZERO,
            failure_rate: 0.0,
            mqtt: None,
        };
        let Value::Map(map) = &definition.value else {
            self.report(
                wrong_type(definition, "a device definition (a mapping)").with_help(format!(
                    "write e.g. `{}: {{ kind: hue_light }}`",
                    shown(name.value)
                )),
            );
            return device;
        };
        let owner = format!("device `{}`", shown(name.value));
        let entries = self.keys(map, DEVICE_KEYS, &owner, "a device's keys are");
        match entries.get("kind") {
            Some((_, value)) => {
                device.kind = self
                    .text(value, "a device kind")
                    .map(|kind| Spanned::new(kind, value.span));
            }
            None => self.report(
                Diagnostic::new(Code::MissingKey, format!("{owner} has no `kind`"))
                    .at(name.span, "this device needs a `kind`")
                    .with_help(format!("add `kind:` with one of {}", list(&BUILTIN))),
            ),
        }
        if let Some((_, value)) = entries.get("state") {
            match self.json(value, "a state") {
                Some(serde_json::Value::Object(state)) => device.state = state,
                Some(_) => {
                    self.report(wrong_type(value, "a state (a mapping)").with_help(
                        "write the fields it starts with, e.g. `state: { position: 0 }`",
                    ))
                }
                None => {}
            }
        }
        if let Some((_, value)) = entries.get("mqtt") {
            device.mqtt = self.device_mqtt(&owner, value);
        }
        if let Some((_, value)) = entries.get("latency") {
            match self.duration(value) {
                Some(latency) => device.latency = latency,
                None => device.latency_rejected = true,
            }
        }
        if let Some((_, value)) = entries.get("jitter")
            && let Some(jitter) = self.duration(value)
        {
            device.jitter = jitter;
        }
        if let Some((_, value)) = entries.get("failure_rate")
            && let Some(rate) = self.number::<f64>(value, "a probability")
        {
            if (0.0..=1.0).contains(&rate) {
                device.failure_rate = rate;
            } else {
                self.report(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!(
                            "a failure rate is a probability, but `{}` is not in [0, 1]",
                            self.spelled(value)
                        ),
                    )
                    .at(value.span, "out of range")
                    .with_help(
                        "write a number from 0 (never fails) to 1 (always fails), e.g. `0.1`",
                    ),
                );
            }
        }
        device
    }

    fn kinds(&mut self, value: &Yaml) -> Vec<KindDecl> {
        let Value::Map(map) = &value.value else {
            self.report(
                wrong_type(value, "a mapping of kind names to kinds").with_help(
                    "write e.g. `kinds: { blinds: { display: Blinds, accepts: [OPEN, CLOSE] } }`",
                ),
            );
            return Vec::new();
        };
        let mut kinds = Vec::new();
        for (name, definition) in self.named_entries(map, "`kinds`") {
            self.check_name(&name, "kind");
            let mut decl = self.kind_decl(&name, definition);
            if BUILTIN.contains(&name.value) {
                // A built-in kind has no place in the file to point at as
                // the first definition: the message says where it is.
                self.report(
                    Diagnostic::new(
                        Code::DuplicateKey,
                        format!(
                            "kind `{}` is defined twice: it is a built-in kind",
                            shown(name.value)
                        ),
                    )
                    .at(name.span, "defined again here")
                    .with_help(format!(
                        "a built-in kind cannot be redefined; give this one another name, e.g. `my_{}`",
                        shown(name.value)
                    )),
                );
                decl.kind = None;
            }
            kinds.push(decl);
        }
        kinds
    }

    /// One kind under `kinds:`: its display name, the types it accepts and
    /// their payloads. The kind is kept only when all of it is sound.
    fn kind_decl(&mut self, name: &Spanned<&str>, definition: &Yaml) -> KindDecl {
        let mut decl = KindDecl {
            name: Spanned::new(name.value.to_string(), name.span),
            kind: None,
        };
        let Value::Map(map) = &definition.value else {
            self.report(
                wrong_type(definition, "a kind definition (a mapping)").with_help(format!(
                    "write e.g. `{}: {{ display: Blinds, accepts: [OPEN, CLOSE] }}`",
                    shown(name.value)
                )),
            );
            return decl;
        };
        let owner = format!("kind `{}`", shown(name.value));
        let entries = self.keys(map, KIND_KEYS, &owner, "a kind's keys are");
        let errors = self.diagnostics.len();
        let display = match entries.get("display") {
            Some((_, value)) => self.scalar(value, "a display name (text)"),
            None => {
                self.report(
                    Diagnostic::new(Code::MissingKey, format!("{owner} has no `display`"))
                        .at(name.span, "this kind needs a `display`")
                        .with_help(
                            "add the name its lines print, e.g. `display: Living Room Blinds`",
                        ),
                );
                None
            }
        };
        let mut accepts: Vec<MessageType> = Vec::new();
        let mut accepts_span = None;
        match entries.get("accepts") {
            Some((key, value)) => {
                accepts_span = Some(key);
                accepts = self.accepts(&owner, key, value);
            }
            None => self.report(
                Diagnostic::new(Code::MissingKey, format!("{owner} has no `accepts`"))
                    .at(name.span, "this kind needs `accepts`")
                    .with_help("list the message types it accepts, e.g. `accepts: [OPEN, CLOSE]`"),
            ),
        }
        let mut payloads = Vec::new();
        if let Some((_, value)) = entries.get("payloads") {
            payloads = self.payloads(&owner, value, &accepts, accepts_span);
        }
        if self.diagnostics[errors..].iter().any(Diagnostic::is_error) {
            return decl;
        }
        decl.kind = display.map(|display| Kind {
            name: name.value.to_string(),
            display,
            accepts,
            payloads,
            connect_to: true,
        });
        decl
    }

    /// A kind's `accepts`: a non-empty list of message types, each once.
    fn accepts(&mut self, owner: &str, key: Span, value: &Yaml) -> Vec<MessageType> {
        let Value::Seq(items) = &value.value else {
            self.report(
                wrong_type(value, "a list of message types")
                    .with_help("write e.g. `accepts: [OPEN, CLOSE]`"),
            );
            return Vec::new();
        };
        if items.is_empty() {
            // An empty flow list has a token (`[]`); a bare key has none.
            let span = if value.span.len > 0 { value.span } else { key };
            self.report(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("{owner} accepts no message type"),
                )
                .at(span, "empty")
                .with_help(format!(
                    "a device that accepts nothing cannot be sent anything; list the types, e.g. `accepts: [OPEN, CLOSE]`; the types are {}",
                    all(&MessageType::names())
                )),
            );
        }
        let mut accepts: Vec<Spanned<MessageType>> = Vec::new();
        for item in items {
            let Some(message) = self.message_type(item) else {
                continue;
            };
            if let Some(first) = accepts.iter().find(|m| m.value == message.value) {
                self.report(
                    Diagnostic::new(
                        Code::DuplicateKey,
                        format!("{} is listed twice in `accepts`", message.value),
                    )
                    .at(message.span, "listed again here")
                    .also(first.span, "first listed here")
                    .with_help("keep one of them"),
                );
                continue;
            }
            accepts.push(message);
        }
        accepts.into_iter().map(|m| m.value).collect()
    }

    /// A kind's `payloads`: message type -> the payload its messages send.
    /// A plain string is sent as text, anything else as JSON.
    fn payloads(
        &mut self,
        owner: &str,
        value: &Yaml,
        accepts: &[MessageType],
        accepts_span: Option<Span>,
    ) -> Vec<(MessageType, Payload)> {
        let Value::Map(map) = &value.value else {
            self.report(
                wrong_type(value, "a mapping of message types to payloads")
                    .with_help("write e.g. `payloads: { OPEN: { position: 100 } }`"),
            );
            return Vec::new();
        };
        let mut payloads = Vec::new();
        for (key, payload) in self.named_entries(map, "`payloads`") {
            let Some(message) = self.message_name(key.value, key.span) else {
                continue;
            };
            // Without a sound `accepts` there is nothing to hold it against.
            if !accepts.is_empty() && !accepts.contains(&message) {
                let mut diagnostic = Diagnostic::new(
                    Code::UnsupportedMessage,
                    format!("{owner} does not accept {message}, so it has no payload for it"),
                )
                .at(key.span, "not in `accepts`");
                if let Some(span) = accepts_span {
                    diagnostic = diagnostic.also(span, "the types it accepts");
                }
                self.report(
                    diagnostic
                        .with_help(format!("add {message} to `accepts`, or remove its payload")),
                );
                continue;
            }
            let payload = match &payload.value {
                Value::Str(text) => Payload::Text(text.to_string()),
                Value::Null => {
                    self.report(
                        wrong_type(payload, "a payload (a mapping, or text)").with_help(
                            "write e.g. `OPEN: { position: 100 }`, or `OPEN: \"ON\"` to send text",
                        ),
                    );
                    continue;
                }
                _ => match self.json(payload, "a payload") {
                    Some(json) => Payload::Json(json),
                    None => continue,
                },
            };
            payloads.push((message, payload));
        }
        payloads
    }

    /// A YAML value as JSON, with the format's scalar typing: numbers as
    /// JSON numbers, booleans, null, text; mappings need text keys, each
    /// once (reported otherwise, as keys of `owner`, and the value is then
    /// `None`).
    fn json(&mut self, value: &Yaml, owner: &str) -> Option<serde_json::Value> {
        use serde_json::Value as Json;
        Some(match &value.value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(text) => json_number(text),
            Value::Str(text) => Json::String(text.to_string()),
            Value::Seq(items) => {
                let mut list = Vec::with_capacity(items.len());
                let mut sound = true;
                for item in items {
                    match self.json(item, owner) {
                        Some(item) => list.push(item),
                        None => sound = false,
                    }
                }
                if !sound {
                    return None;
                }
                Json::Array(list)
            }
            Value::Map(map) => {
                let errors = self.diagnostics.len();
                let mut object = serde_json::Map::new();
                let mut sound = true;
                for (key, item) in self.named_entries(map, owner) {
                    match self.json(item, owner) {
                        Some(item) => {
                            object.insert(key.value.to_string(), item);
                        }
                        None => sound = false,
                    }
                }
                if !sound || self.diagnostics.len() > errors {
                    return None;
                }
                Json::Object(object)
            }
        })
    }

    fn routines(&mut self, value: &Yaml) -> Vec<Routine> {
        let Value::Map(map) = &value.value else {
            self.report(wrong_type(value, "a mapping of routine names to nodes"));
            return Vec::new();
        };
        let mut routines = Vec::new();
        for (name, body) in self.named_entries(map, "`routines`") {
            self.check_name(&name, "routine");
            routines.push(Routine {
                name: Spanned::new(name.value.to_string(), name.span),
                body: self.top_node(name.span, body),
            });
        }
        routines
    }

    fn check_name(&mut self, name: &Spanned<&str>, what: &str) {
        if is_valid_name(name.value) {
            return;
        }
        self.report(
            Diagnostic::new(
                Code::InvalidName,
                format!("`{}` is not a valid {what} name", shown(name.value)),
            )
            .at(name.span, "invalid name")
            .with_help(format!(
                "a {what} name is a letter, then letters, digits, `_` or `-`"
            )),
        );
    }

    /// The node under `program:` or a routine's name. A list there has no
    /// token of its own (its first `-` belongs to its first child), so it is
    /// shown at the key.
    fn top_node(&mut self, key: Span, value: &Yaml) -> Node {
        let mut node = self.node(value, 1);
        if matches!(value.value, Value::Seq(_)) {
            node.span = key;
        }
        node
    }

    fn node(&mut self, value: &Yaml, depth: usize) -> Node {
        if depth > MAX_NODE_DEPTH {
            if !self.reported_too_deep {
                self.reported_too_deep = true;
                self.report(too_deep(first_key_span(value)));
            }
            return invalid(value.span);
        }
        match &value.value {
            Value::Seq(items) => Node {
                span: value.span,
                kind: NodeKind::Sequence(self.list(items, value.span, "list", depth)),
                options: Options::default(),
            },
            Value::Map(map) => self.node_mapping(value, map, depth),
            _ => {
                self.report(wrong_type(value, "a node").with_help(NODE_FORMS));
                invalid(value.span)
            }
        }
    }

    /// The nodes of a `sequence`, a `parallel` or a list, with a warning
    /// when there are none.
    fn list(&mut self, items: &[Yaml], span: Span, what: &str, depth: usize) -> Vec<Node> {
        if items.is_empty() {
            self.report(
                Diagnostic::new(Code::EmptyBlock, format!("this {what} is empty"))
                    .at(span, "does nothing")
                    .with_help("add nodes to it, or remove it"),
            );
        }
        self.children(items, depth)
    }

    fn children(&mut self, items: &[Yaml], depth: usize) -> Vec<Node> {
        items
            .iter()
            .map(|item| self.node(item, depth + 1))
            .collect()
    }

    fn node_mapping(&mut self, value: &Yaml, map: &[(Yaml, Yaml)], depth: usize) -> Node {
        let span = first_key_span(value);
        let entries = self.keys(map, NODE_KEYS, "a node", "a node's keys are");
        // Which forms do the keys belong to? Exactly one is a node.
        // Each form with its first key and that key's value.
        let mut forms: Vec<(&str, Span, &Yaml)> = Vec::new();
        for (key, value) in &entries.entries {
            if OPTION_KEYS.contains(&key.value) {
                continue;
            }
            let form = if MESSAGE_KEYS.contains(&key.value) {
                "message"
            } else {
                key.value
            };
            if !forms.iter().any(|(f, _, _)| *f == form) {
                forms.push((form, key.span, value));
            }
        }
        match forms.as_slice() {
            [] => {
                // A misspelled `sequence` or `parallel` still holds nodes
                // worth checking: their mistakes are reported too.
                let mut nested = Vec::new();
                for (_, value) in map {
                    if let Value::Seq(items) = &value.value {
                        nested.extend(self.children(items, depth));
                    }
                }
                // Unknown keys are reported already and say more than this.
                if entries.entries.len() == map.len() {
                    self.report(
                        Diagnostic::new(Code::InvalidNode, "this mapping is no node")
                            .at(span, "not a node")
                            .with_help(NODE_FORMS),
                    );
                }
                Node {
                    span,
                    kind: NodeKind::Misspelled(nested),
                    options: Options::default(),
                }
            }
            [(form, key, body)] => {
                let kind = match *form {
                    "message" => self.message(&entries, span),
                    "sequence" | "parallel" => self.block(form, body, depth),
                    "wait" => self.wait(*key, body),
                    "delay" => self
                        .duration(body)
                        .map_or(NodeKind::Invalid, NodeKind::Delay),
                    _ => self
                        .text(body, "a routine name")
                        .map_or(NodeKind::Invalid, |name| {
                            NodeKind::Run(Spanned::new(name, body.span))
                        }),
                };
                let options = self.options(&entries, *form == "message");
                Node {
                    span,
                    kind,
                    options,
                }
            }
            [(first, first_span, _), rest @ ..] => {
                let mut diagnostic = Diagnostic::new(
                    Code::InvalidNode,
                    format!(
                        "a node is one thing, but this one is {}",
                        rest.iter()
                            .fold(describe_form(first), |all, (form, _, _)| format!(
                                "{all} and {}",
                                describe_form(form)
                            ))
                    ),
                )
                .at(*first_span, describe_form(first));
                for (form, form_span, _) in rest {
                    diagnostic = diagnostic.also(*form_span, describe_form(form));
                }
                self.report(diagnostic.with_help(
                    "split it into separate nodes, e.g. inside a `sequence` or `parallel`",
                ));
                invalid(span)
            }
        }
    }

    /// `timeout`, `retry` and `continue_on_error`; `retry` only on messages.
    fn options(&mut self, entries: &Entries<'_>, message: bool) -> Options {
        let mut options = Options::default();
        if let Some((_, value)) = entries.get("timeout") {
            options.timeout = self
                .duration(value)
                .map(|timeout| Spanned::new(timeout, value.span));
        }
        if let Some((_, value)) = entries.get("continue_on_error") {
            match value.value {
                Value::Bool(on) => options.continue_on_error = on,
                _ => self.report(
                    wrong_type(value, "`true` or `false`")
                        .with_help("write `continue_on_error: true`"),
                ),
            }
        }
        if let Some((key, value)) = entries.get("retry") {
            if message {
                options.retry = self.retry(key, value);
            } else {
                self.report(
                    Diagnostic::new(Code::UnknownKey, "only a message can be retried")
                        .at(key, "`retry` on a block")
                        .with_help(
                            "put `retry` on the messages inside, or give the block a `timeout`",
                        ),
                );
            }
        }
        options
    }

    fn retry(&mut self, key: Span, value: &Yaml) -> Option<Retry> {
        let Value::Map(map) = &value.value else {
            self.report(
                wrong_type(value, "a mapping")
                    .with_help("write `retry: { attempts: 3, backoff: 100ms }`"),
            );
            return None;
        };
        let entries = self.keys(map, RETRY_KEYS, "`retry`", "`retry` has");
        let backoff = match entries.get("backoff") {
            Some((_, value)) => self.duration(value)?,
            None => Duration::ZERO,
        };
        let Some((_, attempts_value)) = entries.get("attempts") else {
            self.report(
                Diagnostic::new(Code::MissingKey, "`retry` has no `attempts`")
                    .at(key, "`attempts` belongs in this `retry`")
                    .with_help("say how many attempts in all, e.g. `retry: { attempts: 3, backoff: 100ms }`"),
            );
            return None;
        };
        let attempts = self.number::<u64>(attempts_value, "a whole number of attempts")?;
        if attempts > MAX_ATTEMPTS.into() {
            self.report(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("a message has at most {MAX_ATTEMPTS} attempts"),
                )
                .at(attempts_value.span, "too many attempts")
                .with_help("with doubling backoff, a few attempts already wait long: 10 attempts after 100ms wait 51.1 s in all"),
            );
            return None;
        }
        let attempts = attempts as u32;
        if attempts == 0 {
            self.report(
                Diagnostic::new(Code::InvalidValue, "a message needs at least 1 attempt")
                    .at(attempts_value.span, "0 attempts")
                    .with_help("`attempts` counts every attempt, the first included: `attempts: 1` is no retry"),
            );
            return None;
        }
        Some(Retry { attempts, backoff })
    }

    /// A YAML number read as `T`; anything else is the wrong type.
    fn number<T: std::str::FromStr>(&mut self, value: &Yaml, what: &str) -> Option<T> {
        let parsed = match &value.value {
            Value::Number(_) => self.spelled(value).parse::<T>().ok(),
            _ => None,
        };
        if parsed.is_none() {
            let spelled = self.spelled(value);
            let base = spelled.trim_start_matches(['-', '+']).get(..2);
            let radix = match base.map(str::to_ascii_lowercase).as_deref() {
                Some("0x") => Some("hexadecimal"),
                Some("0o") => Some("octal"),
                Some("0b") => Some("binary"),
                _ => None,
            };
            match (radix, &value.value) {
                // YAML reads `0x1` as a number, but the format's numbers
                // are written in decimal.
                (Some(radix), Value::Number(decimal)) => self.report(
                    Diagnostic::new(
                        Code::WrongType,
                        format!(
                            "expected {what}, found the {radix} number `{}`",
                            shown(&spelled)
                        ),
                    )
                    .at(value.span, "not decimal")
                    .with_help(format!("write numbers in decimal: `{}`", shown(decimal))),
                ),
                _ => self.report(wrong_type(value, what)),
            }
        }
        parsed
    }

    fn block(&mut self, form: &str, body: &Yaml, depth: usize) -> NodeKind {
        let Value::Seq(items) = &body.value else {
            self.report(
                wrong_type(body, &format!("a list of nodes after `{form}`"))
                    .with_help(format!("write `{form}: [ node, node, ... ]`")),
            );
            return NodeKind::Invalid;
        };
        let children = self.list(items, body.span, &format!("`{form}`"), depth);
        if form == "sequence" {
            NodeKind::Sequence(children)
        } else {
            NodeKind::Parallel(children)
        }
    }

    /// `wait: { device: D, state: {...} }`.
    fn wait(&mut self, key: Span, body: &Yaml) -> NodeKind {
        let Value::Map(map) = &body.value else {
            self.report(
                wrong_type(body, "a mapping with `device` and `state`")
                    .with_help("write `wait: { device: blinds, state: { position: 100 } }`"),
            );
            return NodeKind::Invalid;
        };
        let entries = self.keys(map, WAIT_KEYS, "`wait`", "`wait` has");
        let device = self.device_key(
            &entries,
            key,
            "`wait`",
            "name the device whose state it waits for: `device: blinds`",
        );
        let state = match entries.get("state") {
            Some((state_key, value)) => self.json(value, "a state").map(|state| {
                // An empty block value has no token of its own: show its key.
                let span = if value.span.len > 0 {
                    value.span
                } else {
                    state_key
                };
                Spanned::new(state, span)
            }),
            None => {
                self.report(
                    Diagnostic::new(Code::MissingKey, "this `wait` has no `state`")
                        .at(key, "`state` belongs in this `wait`")
                        .with_help("say which fields to wait for, e.g. `state: { position: 100 }`"),
                );
                None
            }
        };
        let mut fields = Vec::new();
        if let Some((
            _,
            Yaml {
                value: Value::Map(map),
                ..
            },
        )) = entries.get("state")
        {
            for (key, _) in map {
                if let Value::Str(name) = &key.value {
                    fields.push(Spanned::new(name.to_string(), key.span));
                }
            }
        }
        match (device, state) {
            (Some(device), Some(state)) => NodeKind::Wait {
                device,
                state,
                fields,
            },
            _ => NodeKind::Invalid,
        }
    }

    /// The `device` of a message or a wait (`what`), reported missing on
    /// `span` when it is not there.
    fn device_key(
        &mut self,
        entries: &Entries<'_>,
        span: Span,
        what: &str,
        help: &str,
    ) -> Option<Spanned<String>> {
        match entries.get("device") {
            Some((_, value)) => self
                .text(value, "a device name")
                .map(|name| Spanned::new(name, value.span)),
            None => {
                self.report(
                    Diagnostic::new(Code::MissingKey, format!("this {what} has no `device`"))
                        .at(span, format!("`device` belongs in this {what}"))
                        .with_help(help),
                );
                None
            }
        }
    }

    fn message(&mut self, entries: &Entries<'_>, span: Span) -> NodeKind {
        let device = self.device_key(
            entries,
            span,
            "message",
            "name the device that gets the message: `device: light`",
        );
        let message = match entries.get("message") {
            Some((_, value)) => self.message_type(value),
            None => {
                self.report(
                    Diagnostic::new(Code::MissingKey, "this message has no `message`")
                        .at(span, "`message` belongs here")
                        .with_help(format!(
                            "add `message:` with one of {}",
                            list(&MessageType::names())
                        )),
                );
                None
            }
        };
        let data = match entries.get("data") {
            Some((key, value)) => self.data(key, value).map_or(Data::Broken, Data::Text),
            None => Data::Absent,
        };
        match (device, message) {
            (Some(device), Some(message)) => NodeKind::Message {
                device,
                message,
                data,
            },
            _ => NodeKind::Invalid,
        }
    }

    fn message_type(&mut self, value: &Yaml) -> Option<Spanned<MessageType>> {
        let text = self.text(value, "a message type")?;
        let message = self.message_name(&text, value.span)?;
        Some(Spanned::new(message, value.span))
    }

    /// The message type named `text` (a value, or a key of `payloads` or
    /// `expect`); an unknown one is reported at `span`, with a "did you
    /// mean".
    fn message_name(&mut self, text: &str, span: Span) -> Option<MessageType> {
        let message = MessageType::from_name(text);
        if message.is_none() {
            self.report(
                Diagnostic::new(
                    Code::UnknownMessage,
                    format!("there is no message type `{}`", shown(text)),
                )
                .at(span, "unknown message type")
                .with_help(suggest(
                    text,
                    "the message types are",
                    &MessageType::names(),
                )),
            );
        }
        message
    }

    /// `data` is text; a number or boolean is taken as the text it spells,
    /// and an empty value (often a colour whose `#` YAML read as a comment)
    /// as empty text, which the check then explains.
    fn data(&mut self, key: Span, value: &Yaml) -> Option<Spanned<String>> {
        if let Value::Null = value.value {
            // An empty value has no token of its own; point at its key.
            return Some(Spanned::new(String::new(), key));
        }
        let text = self.scalar(value, "text")?;
        Some(Spanned::new(text, value.span))
    }

    fn duration(&mut self, value: &Yaml) -> Option<Duration> {
        let text = match &value.value {
            Value::Str(text) => text.to_string(),
            Value::Number(_) => self.spelled(value),
            _ => {
                self.report(wrong_type(value, "a duration").with_help(duration::FORM));
                return None;
            }
        };
        match duration::parse(&text) {
            Ok(duration) => Some(duration),
            Err(err) => {
                self.report(
                    Diagnostic::new(Code::InvalidDuration, err.message)
                        .at(value.span, "invalid duration")
                        .with_help(err.help),
                );
                None
            }
        }
    }

    /// A scalar as text: a number or boolean as the file spells it
    /// (`007` stays `007`).
    fn scalar(&mut self, value: &Yaml, what: &str) -> Option<String> {
        match &value.value {
            Value::Str(text) => Some(text.to_string()),
            Value::Number(_) | Value::Bool(_) => Some(self.spelled(value)),
            _ => {
                self.report(wrong_type(value, what));
                None
            }
        }
    }

    /// How the file spells a plain scalar; YAML's reading of it where the
    /// span is an alias rather than the scalar itself.
    fn spelled(&self, value: &Yaml) -> String {
        let raw = self
            .source
            .text
            .get(value.span.offset..value.span.offset + value.span.len)
            .filter(|raw| !raw.is_empty() && !raw.starts_with('*'));
        match (raw, &value.value) {
            (Some(raw), _) => raw.to_string(),
            (None, Value::Number(text)) => text.clone(),
            (None, Value::Bool(b)) => b.to_string(),
            (None, _) => String::new(),
        }
    }

    /// A value that must be text, such as a name.
    fn text(&mut self, value: &Yaml, what: &str) -> Option<String> {
        match &value.value {
            Value::Str(text) => Some(text.to_string()),
            _ => {
                self.report(wrong_type(value, what));
                None
            }
        }
    }
}

/// A YAML number as a JSON number: whole numbers exactly, others as
/// doubles; what JSON cannot hold (`.nan`, `.inf`) stays text.
fn json_number(text: &str) -> serde_json::Value {
    if let Ok(n) = text.parse::<i64>() {
        return n.into();
    }
    if let Ok(n) = text.parse::<u64>() {
        return n.into();
    }
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or_else(|| serde_json::Value::String(text.to_string()), Into::into)
}

fn describe_form(form: &str) -> String {
    match form {
        "message" => "a message".to_string(),
        other => format!("a `{other}`"),
    }
}

fn invalid(span: Span) -> Node {
    Node {
        span,
        kind: NodeKind::Invalid,
        options: Options::default(),
    }
}

/// Where a mapping is shown: its first key. (A block mapping's own span is
/// empty, and a flow mapping's is just its `{`.)
fn first_key_span(value: &Yaml) -> Span {
    match &value.value {
        Value::Map(map) => map.first().map_or(value.span, |(k, _)| k.span),
        _ => value.span,
    }
}

pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn wrong_type(value: &Yaml, expected: &str) -> Diagnostic {
    Diagnostic::new(
        Code::WrongType,
        format!("expected {expected}, found {}", value.value.describe()),
    )
    .at(value.span, format!("expected {expected}"))
}

fn unknown_key(key: &Spanned<&str>, owner: &str, allowed: &[&str], choices: &str) -> Diagnostic {
    let help = suggest(key.value, choices, allowed);
    Diagnostic::new(
        Code::UnknownKey,
        format!("{owner} has no key `{}`", shown(key.value)),
    )
    .at(key.span, "unknown key")
    .with_help(help)
}

pub fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::TooDeep,
        format!("the program nests deeper than {MAX_NODE_DEPTH} levels"),
    )
    .at(span, "too deep here")
    .with_help("flatten the program; a `run` counts the levels of its routine")
}
