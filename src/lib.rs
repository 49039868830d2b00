//! iotrun checks and runs declarative IoT programs.
//!
//! The pipeline, one module per stage:
//! source ([`source`]) -> YAML tree ([`yaml`]) -> AST ([`parse`]) ->
//! checked plan ([`check`]) -> run ([`run`]). [`report`] renders diagnostics
//! and picks exit statuses; [`app`] wires the command line to the stages.

pub mod app;
pub mod ast;
pub mod catalogue;
pub mod check;
pub mod cli;
pub mod device;
pub mod diagnostic;
pub mod duration;
pub mod interrupt;
pub mod limits;
pub mod lines;
pub mod lsp;
pub mod message;
pub mod mqtt;
pub mod output;
pub mod parse;
pub mod plan;
pub mod problem;
pub mod report;
pub mod routines;
pub mod run;
pub mod source;
pub mod syntax;
pub mod text;
pub mod view;
pub mod yaml;

use diagnostic::Diagnostic;
use plan::Plan;
use source::Source;

/// A program file taken through parse and check.
pub struct Loaded {
    /// Present when the program is valid (it may still have warnings).
    pub plan: Option<Plan>,
    /// Every diagnostic, in the order of the file.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses and checks one program file.
pub fn load(source: &Source) -> Loaded {
    analyse(source).0
}

/// [`load`], and the program as far as it parsed (`None` after a YAML
/// syntax error): what an editor completes and navigates with.
pub fn analyse(source: &Source) -> (Loaded, Option<ast::Program>) {
    let tree = match yaml::parse(source) {
        Ok(tree) => tree,
        Err(diagnostic) => {
            let loaded = Loaded {
                plan: None,
                diagnostics: vec![diagnostic],
            };
            return (loaded, None);
        }
    };
    let (program, mut diagnostics) = parse::lower(&tree, source);
    drop(tree);
    let parse_ok = !diagnostics.iter().any(Diagnostic::is_error);
    let (plan, more) = check::check(&program, source, parse_ok);
    diagnostics.extend(more);
    diagnostics.sort_by_key(Diagnostic::offset);
    (Loaded { plan, diagnostics }, Some(program))
}
