//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::{CheckFormat, Format};

const EXAMPLES: &str = "\
Examples:
  iotrun programs/wake_up.yaml                  run a program
  iotrun run --virtual-time programs/party.yaml run it on a simulated clock, instantly
  iotrun run --format json programs/wake_up.yaml   one JSON event per line
  iotrun run --virtual-time --trace t.json programs/party.yaml   a timeline for Perfetto
  iotrun check programs/                        check every program in a folder
  iotrun check --format json broken.yaml        diagnostics as JSON lines
  iotrun check --deny-warnings programs/        fail on warnings too (for CI)
  iotrun devices                                the device kinds and their messages
  iotrun graph --format dot programs/party.yaml | dot -Tsvg > party.svg
  iotrun schema > program.schema.json           the JSON Schema, for editors
  iotrun completions bash > iotrun.bash         shell completions

Exit status: 0 success (warnings allowed), 1 invalid program or failed run,
2 usage or I/O error, 130 interrupted.";

/// Checks and runs declarative IoT programs: devices and a tree of
/// `sequence` / `parallel` messages in a YAML file.
#[derive(Debug, Parser)]
#[command(
    name = "iotrun",
    version,
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true,
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The program file to run: `iotrun FILE` is `iotrun run FILE`.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    #[command(flatten)]
    pub run: RunOptions,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a program, then run it.
    Run(RunArgs),
    /// Check program files without running anything.
    Check(CheckArgs),
    /// Serve a program's MQTT devices over the broker as simulated devices,
    /// until Ctrl-C: try a program end to end before touching hardware.
    Emulate {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The broker, `mqtt://host:port`; overrides `IOTRUN_MQTT_BROKER`
        /// and the file's `mqtt.broker`.
        #[arg(long, value_name = "URL")]
        broker: Option<String>,
        /// Seed for the devices' jitter and failures.
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
        /// `human`: a line per command and state; `json`: one event per line.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// List the device kinds, the messages each accepts and the data they need.
    Devices {
        /// Also list the kinds this program file declares under `kinds:`.
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
        /// `human`: a list; `json`: one JSON document.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Print the JSON Schema of the program format (for editors).
    Schema,
    /// Serve every check, completion and navigation to an editor: the
    /// Language Server Protocol on stdin and stdout.
    Lsp,
    /// Print shell completions.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `iotrun man > iotrun.1`.
    Man,
    /// Draw the program tree as a Mermaid flowchart or Graphviz DOT.
    Graph {
        /// The program file to draw.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// `mermaid` (GitHub, Markdown) or `dot` (Graphviz).
        #[arg(long, value_enum, default_value_t = crate::view::graph::GraphFormat::Mermaid)]
        format: crate::view::graph::GraphFormat,
    },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The program file to run.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    #[command(flatten)]
    pub options: RunOptions,
}

/// How to run, for `iotrun run FILE` and `iotrun FILE` alike.
#[derive(Debug, Args)]
pub struct RunOptions {
    /// Run on a simulated clock: the same events and times, finished as fast
    /// as the machine allows.
    #[arg(long)]
    pub virtual_time: bool,

    /// Seed for device ids, jitter and failures, so that a run can be
    /// repeated exactly.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// `human`: the devices' lines and a summary; `json`: one run event per line.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Also write the run to FILE in the Chrome trace event format, for
    /// Perfetto or chrome://tracing.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,

    /// After the run, draw a text Gantt chart: a row per device, a bar per
    /// operation (on stderr with `--format json`).
    #[arg(long)]
    pub timeline: bool,

    /// The MQTT broker of the devices with an `mqtt` key, `mqtt://host:port`;
    /// overrides `IOTRUN_MQTT_BROKER` and the file's `mqtt.broker`.
    #[arg(long, value_name = "URL")]
    pub broker: Option<String>,

    /// Simulate every device, also those with an `mqtt` key (their
    /// latency, jitter, failure rate and state): the baseline of an MQTT run.
    #[arg(long)]
    pub simulate: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Program files, or folders whose `*.yaml` and `*.yml` files are checked.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,

    /// `human`: rendered diagnostics; `json`: one diagnostic per line;
    /// `github`: GitHub Actions workflow commands; `sarif`: one SARIF 2.1.0
    /// log.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,

    /// Fail (exit 1) on warnings as well as errors.
    #[arg(long)]
    pub deny_warnings: bool,
}
