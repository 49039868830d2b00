//! A checked program as a picture: `iotrun graph FILE --format mermaid|dot`.
//! A sequence is a chain, a parallel a fork and a join, a `run` the routine's
//! body drawn inside a box named after it, a message a box labelled with its
//! device and type.

use std::fmt::Write;

use crate::duration;
use crate::plan::{Plan, Step, StepKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid flowchart, for GitHub and Markdown.
    Mermaid,
    /// Graphviz DOT.
    Dot,
}

/// Past this many drawn nodes, a `run` is drawn as one box instead of its
/// routine: routines that run routines many times over would make a picture
/// nobody can read (or a file nobody can open).
const MAX_NODES: usize = 2_000;

pub fn render(plan: &Plan, format: GraphFormat) -> String {
    let mut drawing = Drawing {
        plan,
        format,
        out: String::new(),
        nodes: 0,
        depth: 1,
    };
    let (entry, exit) = drawing.step(&plan.root);
    // Not `start`/`end` as ids: `end` closes a Mermaid subgraph.
    let start = drawing.shape("begin", "start", Shape::Terminal);
    let end = drawing.shape("finish", "end", Shape::Terminal);
    drawing.edge(&start, &entry);
    drawing.edge(&exit, &end);
    match format {
        GraphFormat::Mermaid => format!("flowchart TD\n{}", drawing.out),
        GraphFormat::Dot => format!(
            "digraph program {{\n  rankdir=TB;\n  graph [fontname=\"Helvetica\"];\n  node [shape=box, fontname=\"Helvetica\"];\n{}}}\n",
            drawing.out
        ),
    }
}

enum Shape {
    Message,
    Point,
    Delay,
    /// A wait for a device's state: a parallelogram.
    Wait,
    Terminal,
}

struct Drawing<'p> {
    plan: &'p Plan,
    format: GraphFormat,
    out: String,
    nodes: usize,
    /// Indentation level, for a readable file.
    depth: usize,
}

impl Drawing<'_> {
    fn indent(&self) -> String {
        "  ".repeat(self.depth)
    }

    fn id(&mut self) -> String {
        self.nodes += 1;
        format!("n{}", self.nodes)
    }

    /// Draws a node and returns its id (`id` is given for start and end).
    fn shape(&mut self, id: &str, label: &str, shape: Shape) -> String {
        let indent = self.indent();
        let id = id.to_string();
        let _ = match self.format {
            GraphFormat::Mermaid => {
                let label = mermaid_text(label);
                let drawn = match shape {
                    Shape::Message => format!("{id}[\"{label}\"]"),
                    Shape::Point => format!("{id}((\" \"))"),
                    Shape::Delay => format!("{id}{{{{\"{label}\"}}}}"),
                    Shape::Wait => format!("{id}[/\"{label}\"/]"),
                    Shape::Terminal => format!("{id}([\"{label}\"])"),
                };
                writeln!(self.out, "{indent}{drawn}")
            }
            GraphFormat::Dot => {
                let label = dot_text(label);
                let attributes = match shape {
                    Shape::Message => format!("label=\"{label}\""),
                    Shape::Point => "shape=point, width=0.12".to_string(),
                    Shape::Delay => format!("label=\"{label}\", shape=hexagon"),
                    Shape::Wait => format!("label=\"{label}\", shape=parallelogram"),
                    Shape::Terminal => format!("label=\"{label}\", shape=oval"),
                };
                writeln!(self.out, "{indent}{id} [{attributes}];")
            }
        };
        id
    }

    fn edge(&mut self, from: &str, to: &str) {
        let indent = self.indent();
        let _ = match self.format {
            GraphFormat::Mermaid => writeln!(self.out, "{indent}{from} --> {to}"),
            GraphFormat::Dot => writeln!(self.out, "{indent}{from} -> {to};"),
        };
    }

    /// Draws a step; returns the ids its flow enters and leaves by.
    fn step(&mut self, step: &Step) -> (String, String) {
        match &step.kind {
            StepKind::Message {
                device, message, ..
            } => {
                let id = self.id();
                let label = format!("{}: {message}", self.plan.devices[*device].name);
                let id = self.shape(&id, &label, Shape::Message);
                (id.clone(), id)
            }
            StepKind::Delay(wait) => {
                let id = self.id();
                let id = self.shape(
                    &id,
                    &format!("delay {}", duration::display(*wait)),
                    Shape::Delay,
                );
                (id.clone(), id)
            }
            StepKind::Wait { device, state } => {
                let id = self.id();
                let label = format!(
                    "wait {}: {}",
                    self.plan.devices[*device].name,
                    serde_json::to_string(state).unwrap_or_default()
                );
                let id = self.shape(&id, &label, Shape::Wait);
                (id.clone(), id)
            }
            StepKind::Sequence(steps) => {
                let mut ends: Option<(String, String)> = None;
                for child in steps {
                    let (entry, exit) = self.step(child);
                    ends = Some(match ends {
                        None => (entry, exit),
                        Some((first, previous)) => {
                            self.edge(&previous, &entry);
                            (first, exit)
                        }
                    });
                }
                ends.unwrap_or_else(|| {
                    let id = self.id();
                    let id = self.shape(&id, "", Shape::Point);
                    (id.clone(), id)
                })
            }
            StepKind::Parallel(steps) => {
                let fork = self.id();
                let fork = self.shape(&fork, "", Shape::Point);
                let join = self.id();
                let join = self.shape(&join, "", Shape::Point);
                for child in steps {
                    let (entry, exit) = self.step(child);
                    self.edge(&fork, &entry);
                    self.edge(&exit, &join);
                }
                if steps.is_empty() {
                    self.edge(&fork, &join);
                }
                (fork, join)
            }
            StepKind::Run(routine) => {
                let name = self.plan.routine_names[*routine].clone();
                if self.nodes > MAX_NODES {
                    let id = self.id();
                    let id = self.shape(&id, &format!("run {name}"), Shape::Message);
                    return (id.clone(), id);
                }
                self.nodes += 1;
                let cluster = format!("r{}", self.nodes);
                let indent = self.indent();
                let _ = match self.format {
                    GraphFormat::Mermaid => {
                        writeln!(
                            self.out,
                            "{indent}subgraph {cluster} [\"{}\"]",
                            mermaid_text(&name)
                        )
                    }
                    GraphFormat::Dot => writeln!(
                        self.out,
                        "{indent}subgraph cluster_{cluster} {{\n{indent}  label=\"{}\";\n{indent}  style=rounded;",
                        dot_text(&name)
                    ),
                };
                self.depth += 1;
                let ends = self.step(&self.plan.routines[*routine]);
                self.depth -= 1;
                let _ = match self.format {
                    GraphFormat::Mermaid => writeln!(self.out, "{indent}end"),
                    GraphFormat::Dot => writeln!(self.out, "{indent}}}"),
                };
                ends
            }
        }
    }
}

/// Text inside a quoted Mermaid label: quotes and markup characters as
/// entities.
fn mermaid_text(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            c if crate::text::is_unsafe(c) => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text inside a quoted DOT string.
fn dot_text(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if crate::text::is_unsafe(c) => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
