//! What each command does, from parsed arguments to an exit status.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::Path;

use clap::{CommandFactory, Parser};

use crate::cli::{CheckArgs, Cli, Command, RunOptions};
use crate::interrupt::Interrupts;
use crate::output::Output;
use crate::report::{self, CheckFormat, Exit, Format, Reporter};
use crate::run::{Fanout, Observer};
use crate::source::{Source, expand_paths};
use crate::view::{HumanOutput, JsonOutput, Progress, Timeline, Trace};
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
        Some(Command::Run(args)) => run(&args.file, &args.options),
        Some(Command::Devices { file, format }) => devices(file.as_deref(), format),
        Some(Command::Schema) => print(crate::catalogue::SCHEMA),
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
            Some(file) => run(file, &cli.run),
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

fn run(path: &Path, args: &RunOptions) -> Exit {
    let name = path.display().to_string();
    // Diagnostics go to stderr: stdout is the run's own output.
    let mut reporter = Reporter::stderr(args.format);
    let Some(source) = read(path, &mut reporter) else {
        return Exit::Usage;
    };
    let loaded = load(&source);
    reporter.write(&loaded.diagnostics, &name, Some(&source));
    let Some(plan) = loaded.plan else {
        return Exit::for_diagnostics(&loaded.diagnostics);
    };
    // A trace that cannot be written is found out before anything connects.
    let trace_file = match &args.trace {
        Some(path) => match std::fs::File::create(path) {
            Ok(file) => Some(file),
            Err(err) => {
                return cannot(
                    &mut reporter,
                    &name,
                    format!(
                        "cannot write the trace to `{}`: {err}",
                        crate::text::escaped(&path.display().to_string())
                    ),
                );
            }
        },
        None => None,
    };
    // Signals are heard from before the first device connects: a Ctrl-C at
    // any moment of the run disconnects every device.
    let interrupts = match Interrupts::listen() {
        Ok(interrupts) => interrupts,
        Err(err) => {
            return cannot(
                &mut reporter,
                &name,
                format!("cannot listen for signals: {err}"),
            );
        }
    };
    let estimate = plan.estimate();
    // Live progress only for people at a terminal, never on a pipe.
    let (progress, bar) = if args.format == Format::Human
        && std::io::stdout().is_terminal()
        && std::io::stderr().is_terminal()
    {
        let (progress, bar) = Progress::new(estimate.messages, estimate.duration);
        (Some(progress), Some(bar))
    } else {
        (None, None)
    };
    let output = match Output::spawn(Box::new(std::io::stdout()), interrupts.clone(), bar) {
        Ok(output) => output,
        Err(err) => {
            return cannot(
                &mut reporter,
                &name,
                format!("cannot start the output: {err}"),
            );
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(args.virtual_time)
        // Output is handed to its writer whenever the run waits: live, yet
        // written in chunks.
        .on_thread_park(output.idle_hook())
        .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(err) => {
            return cannot(
                &mut reporter,
                &name,
                format!("cannot start the runtime: {err}"),
            );
        }
    };
    let options = crate::run::Options {
        // Below 2^53, so that a JSON reader that holds numbers as doubles
        // reads back the seed that repeats the run.
        seed: args.seed.unwrap_or_else(|| rand::random::<u64>() >> 11),
        virtual_time: args.virtual_time,
    };
    let mut shown: Box<dyn Observer> = match args.format {
        Format::Human => Box::new(
            HumanOutput::new(
                output.sink(),
                plan.name.clone(),
                plan.devices.len(),
                estimate.duration,
            )
            .device_column(
                plan.devices
                    .iter()
                    .map(|d| d.name.chars().count())
                    .max()
                    .unwrap_or(0),
            ),
        ),
        Format::Json => Box::new(JsonOutput::new(output.sink())),
    };
    let mut connections = interrupts.connections();
    let mut progress = progress;
    let mut trace = args.trace.as_ref().map(|_| Trace::default());
    let mut timeline = args.timeline.then(Timeline::default);
    let mut observers: Vec<&mut dyn Observer> = vec![&mut connections, shown.as_mut()];
    if let Some(progress) = progress.as_mut() {
        observers.push(progress);
    }
    if let Some(trace) = trace.as_mut() {
        observers.push(trace);
    }
    if let Some(timeline) = timeline.as_mut() {
        observers.push(timeline);
    }
    let mut observer = Fanout(observers);
    let outcome = runtime.block_on(
        // The whole run is one task that polls thousands of concurrent steps;
        // tokio's cooperative budget (128 polls per turn) would make a
        // `parallel` of 100,000 messages re-poll itself quadratically, so it
        // is off, and the runner gives the runtime turns of its own.
        tokio::task::unconstrained(crate::run::run(
            &plan,
            options,
            &mut observer,
            interrupts.requested(),
        )),
    );
    drop(observer);
    drop(shown);
    // Every device is disconnected: a signal from here on exits at once.
    interrupts.run_over();
    if let Some(timeline) = timeline {
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(80);
        let chart = timeline.render(width);
        // The chart is for people: beside JSON events it goes to stderr.
        let _ = match args.format {
            Format::Human => output.sink().write_all(chart.as_bytes()),
            Format::Json => std::io::stderr().write_all(chart.as_bytes()),
        };
    }
    let mut exit = Exit::for_run(outcome.status);
    if let Some(err) = output.finish() {
        exit = exit.max(cannot(
            &mut reporter,
            &name,
            format!("cannot write the run's output: {err}"),
        ));
    }
    // The trace is written last; a failure to write it does not hide how
    // the run went.
    if let (Some(trace), Some(mut file), Some(path)) = (trace, trace_file, &args.trace)
        && let Err(err) = file.write_all(trace.to_json().as_bytes())
    {
        exit = exit.max(cannot(
            &mut reporter,
            &name,
            format!(
                "cannot write the trace to `{}`: {err}",
                crate::text::escaped(&path.display().to_string())
            ),
        ));
    }
    // A failure stays a failure when Ctrl-C came during the disconnect.
    if let Some(failure) = &outcome.failure {
        let diagnostic = Diagnostic::new(Code::RunFailed, failure.kind.to_string())
            .at(failure.span, "failed here")
            .with_help(failure.kind.help());
        reporter.write(&[diagnostic], &name, Some(&source));
    }
    exit.max(reporter.exit())
}

/// Reports an I/O failure of the run itself (not of the program): exit 2.
fn cannot(reporter: &mut Reporter, name: &str, what: String) -> Exit {
    reporter.write(&[Diagnostic::new(Code::Io, what)], name, None);
    Exit::Usage
}
