//! What each command does, from parsed arguments to an exit status.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;

use clap::{CommandFactory, Parser};

mod broker;
mod emulate;
mod run;

use crate::cli::{CheckArgs, Cli, Command};
use crate::report::{self, CheckFormat, Exit, Format, Reporter};
use crate::source::{Source, expand_paths};
use crate::{diagnostic::Code, diagnostic::Diagnostic, load};

/// Runs the command line and returns the process exit status.
pub fn main(args: impl IntoIterator<Item = OsString>) -> i32 {
    let args: Vec<OsString> = args.into_iter().collect();
    if let Some(exit) = misspelled_subcommand(&args) {
        return exit.code();
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            // Help and version go to stdout with status 0, misuse to stderr with 2.
            let _ = err.print();
            return err.exit_code();
        }
    };
    let exit = match cli.command {
        Some(Command::Check(args)) => check(&args),
        Some(Command::Run(args)) => run::run(&args.file, &args.options),
        Some(Command::Devices { file, format }) => devices(file.as_deref(), format),
        Some(Command::Emulate {
            file,
            broker,
            seed,
            format,
        }) => emulate::emulate(&file, broker.as_deref(), seed, format),
        Some(Command::Schema) => print(crate::catalogue::SCHEMA),
        Some(Command::Lsp) => match crate::lsp::serve() {
            Ok(true) => Exit::Success,
            // `exit` without `shutdown`: 1, as the protocol asks.
            Ok(false) => Exit::Invalid,
            Err(why) => {
                let mut reporter = Reporter::stderr(Format::Human);
                reporter.write(
                    &[Diagnostic::new(Code::Io, format!("iotrun lsp: {why}"))],
                    "stdin",
                    None,
                );
                Exit::Usage
            }
        },
        Some(Command::Completions { shell }) => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "iotrun", &mut out);
            print(&String::from_utf8_lossy(&out))
        }
        Some(Command::Man) => {
            let mut out = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut out) {
                Ok(()) => print(&String::from_utf8_lossy(&out)),
                Err(_) => Exit::Usage,
            }
        }
        Some(Command::Graph { file, format }) => graph(&file, format),
        None => match &cli.file {
            Some(file) => run::run(file, &cli.run),
            None => {
                let _ = Cli::command()
                    .error(
                        clap::error::ErrorKind::MissingRequiredArgument,
                        "a program FILE to run is required (or use `iotrun check PATH...`)",
                    )
                    .print();
                Exit::Usage
            }
        },
    };
    exit.code()
}

/// `iotrun chek x.yaml` would read `chek` as the program to run: when the
/// first argument is no file and is close to a subcommand's name, say so.
fn misspelled_subcommand(args: &[OsString]) -> Option<Exit> {
    let first = args.get(1)?.to_str()?;
    if first.starts_with('-') || Path::new(first).exists() {
        return None;
    }
    let command = Cli::command();
    let names: Vec<&str> = command
        .get_subcommands()
        .map(|c| c.get_name())
        .chain(["help"])
        .collect();
    if names.contains(&first) {
        return None;
    }
    let best = crate::diagnostic::closest(first, names.iter().copied())?;
    let _ = Cli::command()
        .error(
            clap::error::ErrorKind::InvalidSubcommand,
            format!(
                "no subcommand `{}`; did you mean `{best}`?",
                crate::diagnostic::shown(first)
            ),
        )
        .print();
    Some(Exit::Usage)
}

/// Writes a command's whole output to stdout; output that cannot be
/// written (a full disk) is an I/O error, exit 2.
fn print(text: &str) -> Exit {
    match report::write_whole(&mut std::io::stdout(), text.as_bytes()) {
        Ok(()) => Exit::Success,
        Err(err) => {
            let _ = writeln!(std::io::stderr(), "iotrun: cannot write the output: {err}");
            Exit::Usage
        }
    }
}

/// Reads a program file; one that cannot be read is reported (an I/O error,
/// exit 2 for the caller).
fn read(path: &Path, reporter: &mut Reporter) -> Option<Source> {
    match Source::read(path) {
        Ok(source) => Some(source),
        Err(diagnostic) => {
            let name = path.display().to_string();
            reporter.write(std::slice::from_ref(&diagnostic), &name, None);
            None
        }
    }
}

/// Lists the built-in kinds, and those a valid program file declares; an
/// invalid file gets its diagnostics instead.
fn devices(path: Option<&Path>, format: Format) -> Exit {
    let Some(path) = path else {
        return print(&crate::catalogue::render(
            &crate::device::Kind::builtins(),
            None,
            format,
        ));
    };
    let name = path.display().to_string();
    let mut reporter = Reporter::stderr(Format::Human);
    let Some(source) = read(path, &mut reporter) else {
        return Exit::Usage;
    };
    let loaded = load(&source);
    let errors: Vec<Diagnostic> = loaded
        .diagnostics
        .into_iter()
        .filter(Diagnostic::is_error)
        .collect();
    reporter.write(&errors, &name, Some(&source));
    let exit = match loaded.plan {
        Some(plan) => print(&crate::catalogue::render(&plan.kinds, Some(&name), format)),
        None => Exit::for_diagnostics(&errors),
    };
    exit.max(reporter.exit())
}

/// Draws a valid program; an invalid one gets its diagnostics instead.
fn graph(path: &Path, format: crate::view::graph::GraphFormat) -> Exit {
    let name = path.display().to_string();
    let mut reporter = Reporter::stderr(Format::Human);
    let Some(source) = read(path, &mut reporter) else {
        return Exit::Usage;
    };
    let loaded = load(&source);
    // The same report as `check`'s, warnings included.
    reporter.write(&loaded.diagnostics, &name, Some(&source));
    let exit = match loaded.plan {
        Some(plan) => print(&crate::view::graph::render(&plan, format)),
        None => Exit::for_diagnostics(&loaded.diagnostics),
    };
    exit.max(reporter.exit())
}

fn check(args: &CheckArgs) -> Exit {
    // Diagnostics are what `check --format json` is for: they go to stdout
    // then, and to stderr beside the summaries otherwise.
    let mut reporter = match args.format {
        CheckFormat::Human => Reporter::stderr(CheckFormat::Human),
        format => Reporter::stdout(format),
    };
    let mut exit = Exit::Success;
    let mut summaries = Exit::Success;
    for path in expand_paths(&args.paths) {
        exit = exit.max(match path {
            Ok(path) => check_file(&path, &mut reporter, args, &mut summaries),
            Err((name, diagnostic)) => {
                reporter.write(std::slice::from_ref(&diagnostic), &name, None);
                Exit::Usage
            }
        });
    }
    reporter.finish();
    exit.max(reporter.exit()).max(summaries)
}

fn check_file(
    path: &Path,
    reporter: &mut Reporter,
    args: &CheckArgs,
    summaries: &mut Exit,
) -> Exit {
    let name = path.display().to_string();
    let Some(source) = read(path, reporter) else {
        return Exit::Usage;
    };
    let loaded = load(&source);
    reporter.write(&loaded.diagnostics, &name, Some(&source));
    let exit = Exit::for_check(&loaded.diagnostics, args.deny_warnings);
    if let (Some(plan), CheckFormat::Human) = (&loaded.plan, args.format) {
        // A file that passes only without `--deny-warnings` failed.
        let line = if exit == Exit::Success {
            format!("{}\n", report::summary(&name, plan))
        } else {
            format!(
                "{}: failed: {} denied by --deny-warnings\n",
                crate::diagnostic::shown(&name),
                report::count(loaded.diagnostics.len() as u64, "warning")
            )
        };
        if report::write_whole(&mut std::io::stdout(), line.as_bytes()).is_err() {
            *summaries = Exit::Usage;
        }
    }
    exit
}

/// Reports an I/O failure of the run itself (not of the program): exit 2.
fn cannot(reporter: &mut Reporter, name: &str, what: String) -> Exit {
    reporter.write(&[Diagnostic::new(Code::Io, what)], name, None);
    Exit::Usage
}
