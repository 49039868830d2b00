//! `iotrun run`: a checked plan driven on a tokio runtime, its events sent
//! to the views the options ask for, then the exit status.

use std::io::{IsTerminal, Write};
use std::path::Path;

use super::{cannot, read};
use crate::cli::RunOptions;
use crate::interrupt::{Connections, Interrupts};
use crate::output::Output;
use crate::plan::{Estimate, Plan};
use crate::report::{Exit, Format, Reporter};
use crate::run::{Fanout, Observer, Outcome};
use crate::view::{HumanOutput, JsonOutput, Progress, Timeline, Trace};
use crate::{diagnostic::Code, diagnostic::Diagnostic, load};

pub fn run(path: &Path, args: &RunOptions) -> Exit {
    let name = path.display().to_string();
    // Diagnostics go to stderr: stdout is the run's own output.
    let mut reporter = Reporter::stderr(args.format);
    let Some(source) = read(path, &mut reporter) else {
        return Exit::Usage;
    };
    let loaded = load(&source);
    reporter.write(&loaded.diagnostics, &name, Some(&source));
    let Some(mut plan) = loaded.plan else {
        return Exit::for_diagnostics(&loaded.diagnostics);
    };
    if args.simulate {
        // The baseline of a real run reports what a real device would: its
        // every change of state.
        for device in plan.devices.iter_mut().filter(|d| d.mqtt.is_some()) {
            device.watched = true;
        }
    }
    let (outcome, mut exit) = match drive(&plan, args) {
        Ok(done) => done,
        Err(NotStarted::Io(what)) => return cannot(&mut reporter, &name, what),
        Err(NotStarted::Diagnostic(diagnostic)) => {
            let exit = Exit::for_diagnostics([&diagnostic]);
            reporter.write(&[diagnostic], &name, Some(&source));
            return exit.max(reporter.exit());
        }
    };
    for what in outcome.1 {
        exit = exit.max(cannot(&mut reporter, &name, what));
    }
    // A failure stays a failure when Ctrl-C came during the disconnect.
    if let Some(failure) = &outcome.0.failure {
        let diagnostic = Diagnostic::new(Code::RunFailed, failure.kind.to_string())
            .at(failure.span, "failed here")
            .with_help(failure.kind.help());
        reporter.write(&[diagnostic], &name, Some(&source));
    }
    exit.max(reporter.exit())
}

/// Why a run did not start (nothing connected).
pub(super) enum NotStarted {
    /// An I/O or usage error: exit 2.
    Io(String),
    /// A diagnostic of its own (the broker, `--virtual-time` with MQTT).
    Diagnostic(Diagnostic),
}

impl From<String> for NotStarted {
    fn from(what: String) -> Self {
        NotStarted::Io(what)
    }
}

/// Runs the plan: the run's outcome with what could not be written after
/// it, and the exit status the run gives.
fn drive(plan: &Plan, args: &RunOptions) -> Result<((Outcome, Vec<String>), Exit), NotStarted> {
    let real = !args.simulate && plan.devices.iter().any(|d| d.mqtt.is_some());
    if real && args.virtual_time {
        let names: Vec<&str> = plan
            .devices
            .iter()
            .filter(|d| d.mqtt.is_some())
            .map(|d| d.name.as_str())
            .collect();
        return Err(NotStarted::Io(format!(
            "`--virtual-time` cannot drive real devices ({}): add `--simulate` to simulate them",
            crate::diagnostic::all(&names)
        )));
    }
    // A trace that cannot be written is found out before anything connects.
    let trace = match &args.trace {
        Some(path) => Some(Trace::new(Box::new(
            std::fs::File::create(path).map_err(|err| cannot_trace(path, &err))?,
        ))),
        None => None,
    };
    // Signals are heard from before the first device connects: a Ctrl-C at
    // any moment of the run disconnects every device.
    let interrupts =
        Interrupts::listen().map_err(|err| format!("cannot listen for signals: {err}"))?;
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
    let output = Output::spawn(Box::new(std::io::stdout()), interrupts.clone(), bar)
        .map_err(|err| format!("cannot start the output: {err}"))?;
    let mut builder = tokio::runtime::Builder::new_current_thread();
    if real {
        // Sockets, for the broker.
        builder.enable_io();
    }
    let runtime = builder
        .enable_time()
        .start_paused(args.virtual_time)
        // Output is handed to its writer whenever the run waits: live, yet
        // written in chunks.
        .on_thread_park(output.idle_hook())
        .build()
        .map_err(|err| format!("cannot start the runtime: {err}"))?;
    let options = crate::run::Options {
        // Below 2^53, so that a JSON reader that holds numbers as doubles
        // reads back the seed that repeats the run.
        seed: args.seed.unwrap_or_else(|| rand::random::<u64>() >> 11),
        virtual_time: args.virtual_time,
    };
    // The broker is reached before any device connects.
    let connection = if real {
        Some(runtime.block_on(crate::app::broker::connect(plan, args))?)
    } else {
        None
    };
    let devices = crate::app::broker::devices(plan, options.seed, connection.as_ref());
    let mut views = Views::new(plan, &estimate, args, &output, &interrupts, progress, trace);
    let mut fanout = views.fanout();
    let run = crate::run::run_on(plan, &devices, options, &mut fanout, interrupts.requested());
    let outcome = runtime.block_on(
        // The whole run is one task that polls thousands of concurrent steps;
        // tokio's cooperative budget (128 polls per turn) would make a
        // `parallel` of 100,000 messages re-poll itself quadratically, so it
        // is off, and the runner gives the runtime turns of its own.
        tokio::task::unconstrained(crate::app::broker::beside(connection.as_deref(), run)),
    );
    drop(fanout);
    drop(devices);
    // Every device is disconnected: a signal from here on exits at once.
    interrupts.run_over();
    let Views {
        shown,
        trace,
        timeline,
        ..
    } = views;
    drop(shown);
    if let Some(timeline) = timeline {
        let chart = timeline.render(crate::report::width());
        // The chart is for people: beside JSON events it goes to stderr.
        let _ = match args.format {
            Format::Human => output.sink().write_all(chart.as_bytes()),
            Format::Json => std::io::stderr().write_all(chart.as_bytes()),
        };
    }
    let exit = Exit::for_run(outcome.status);
    let mut unwritten = Vec::new();
    if let Some(err) = output.finish() {
        unwritten.push(format!("cannot write the run's output: {err}"));
    }
    // The trace is ended last; a failure to write it does not hide how
    // the run went.
    if let (Some(trace), Some(path)) = (trace, &args.trace)
        && let Err(err) = trace.finish_file()
    {
        unwritten.push(cannot_trace(path, &err));
    }
    Ok(((outcome, unwritten), exit))
}

fn cannot_trace(path: &Path, err: &std::io::Error) -> String {
    format!(
        "cannot write the trace to `{}`: {err}",
        crate::text::escaped(&path.display().to_string())
    )
}

/// Everything that watches the run: the signal handler's count of
/// connected devices, the output the user asked for, and the optional
/// progress bar, trace and timeline.
struct Views {
    connections: Connections,
    shown: Box<dyn Observer>,
    progress: Option<Progress>,
    trace: Option<Trace>,
    timeline: Option<Timeline>,
}

impl Views {
    fn new(
        plan: &Plan,
        estimate: &Estimate,
        args: &RunOptions,
        output: &Output,
        interrupts: &Interrupts,
        progress: Option<Progress>,
        trace: Option<Trace>,
    ) -> Self {
        let shown: Box<dyn Observer> = match args.format {
            Format::Human => {
                let width = plan.devices.iter().map(|d| d.name.chars().count()).max();
                Box::new(
                    HumanOutput::new(
                        output.sink(),
                        plan.name.clone(),
                        plan.devices.len(),
                        estimate.duration,
                    )
                    .at_least(estimate.unbounded)
                    .device_column(width.unwrap_or(0)),
                )
            }
            Format::Json => Box::new(JsonOutput::new(output.sink())),
        };
        Views {
            connections: interrupts.connections(),
            shown,
            progress,
            trace,
            timeline: args.timeline.then(Timeline::default),
        }
    }

    fn fanout(&mut self) -> Fanout<'_> {
        let mut observers: Vec<&mut dyn Observer> =
            vec![&mut self.connections, self.shown.as_mut()];
        if let Some(progress) = self.progress.as_mut() {
            observers.push(progress);
        }
        if let Some(trace) = self.trace.as_mut() {
            observers.push(trace);
        }
        if let Some(timeline) = self.timeline.as_mut() {
            observers.push(timeline);
        }
        Fanout(observers)
    }
}
