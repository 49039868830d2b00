//! `iotrun emulate FILE`: the file's MQTT devices served as simulated
//! devices over the broker, until Ctrl-C or SIGTERM (exit 130).

use std::io::Write;
use std::path::Path;

use super::read;
use super::run::NotStarted;
use crate::interrupt::Interrupts;
use crate::mqtt::emulate::{Report, serve};
use crate::report::{Exit, Format, Reporter};
use crate::{diagnostic::Code, diagnostic::Diagnostic, load};

pub fn emulate(path: &Path, broker: Option<&str>, seed: Option<u64>, format: Format) -> Exit {
    let name = path.display().to_string();
    let mut reporter = Reporter::stderr(format);
    let Some(source) = read(path, &mut reporter) else {
        return Exit::Usage;
    };
    let loaded = load(&source);
    reporter.write(&loaded.diagnostics, &name, Some(&source));
    let Some(plan) = loaded.plan else {
        return Exit::for_diagnostics(&loaded.diagnostics);
    };
    let fail = |reporter: &mut Reporter, diagnostic: Diagnostic| {
        let exit = Exit::for_diagnostics([&diagnostic]);
        reporter.write(&[diagnostic], &name, Some(&source));
        exit.max(reporter.exit())
    };
    if plan.devices.iter().all(|d| d.mqtt.is_none()) {
        return fail(
            &mut reporter,
            Diagnostic::new(Code::Broker, "the program has no MQTT devices to emulate")
                .with_help("give a device an `mqtt` key, e.g. `mqtt: { topic: zigbee2mqtt/hall }`"),
        );
    }
    let emulated = plan.devices.iter().filter(|d| d.mqtt.is_some()).count();
    if let Err(why) = crate::mqtt::emulate::open_files(emulated) {
        return super::cannot(&mut reporter, &name, why);
    }
    let (broker, span) = match super::broker::broker(&plan, broker) {
        Ok(found) => found,
        Err(NotStarted::Io(what)) => return super::cannot(&mut reporter, &name, what),
        Err(NotStarted::Diagnostic(diagnostic)) => return fail(&mut reporter, diagnostic),
    };
    let interrupts = match Interrupts::listen() {
        Ok(interrupts) => interrupts,
        Err(err) => {
            return super::cannot(
                &mut reporter,
                &name,
                format!("cannot listen for signals: {err}"),
            );
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(err) => {
            return super::cannot(
                &mut reporter,
                &name,
                format!("cannot start the runtime: {err}"),
            );
        }
    };
    let tls = match super::broker::tls(&plan, &plan.mqtt.clone().unwrap_or_default()) {
        Ok(tls) => tls,
        Err(NotStarted::Io(what)) => return super::cannot(&mut reporter, &name, what),
        Err(NotStarted::Diagnostic(diagnostic)) => return fail(&mut reporter, diagnostic),
    };
    let seed = seed.unwrap_or_else(|| rand::random::<u64>() >> 11);
    let started = std::time::Instant::now();
    let mut out = std::io::stdout();
    let mut print = |report: Report<'_>| {
        let line = match format {
            Format::Json => {
                let mut event = report.json();
                event["t"] = serde_json::json!(crate::run::seconds(started.elapsed()));
                event.to_string()
            }
            Format::Human => crate::text::escaped(&report.human()).into_owned(),
        };
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    };
    let served = runtime.block_on(serve(
        &plan,
        &broker,
        &tls,
        seed,
        &mut print,
        interrupts.requested(),
    ));
    match served {
        Ok(()) => Exit::Interrupted.max(reporter.exit()),
        Err(why) => fail(
            &mut reporter,
            super::broker::unreachable(&broker, &why, span),
        ),
    }
}
