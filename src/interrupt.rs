//! Ctrl-C (SIGINT), SIGTERM and SIGHUP, heard on a thread of their own.
//!
//! Why a thread: the run is one tokio task that may go a long stretch
//! without yielding (a million steps that take no time), and its output may
//! be stuck behind a reader who does not read. Signals handled on the
//! runtime's thread waited for both. Here a signal is received at once,
//! whatever the runtime is doing: the first wakes the run, which cancels
//! what is in flight and disconnects every device; a second one, or one
//! that comes when no run is going on, exits the process from this thread,
//! naming the devices that were left connected.

use std::collections::HashSet;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::report::Exit;
use crate::run::{Event, Observer};

/// The signals of one run, shared by the signal thread, the run and its
/// output.
#[derive(Clone)]
pub struct Interrupts(Arc<Shared>);

#[derive(Default)]
struct Shared {
    received: AtomicU32,
    hangup: AtomicBool,
    /// Whether a run may have devices connected; cleared once it is over.
    running: AtomicBool,
    wake: Notify,
    /// Devices that began to connect and have not disconnected, by name.
    connected: Mutex<HashSet<String>>,
}

/// How long a last word about connected devices may take to write before
/// the process exits without it (stderr may be a pipe nobody reads).
const LAST_WORD: Duration = Duration::from_millis(200);

impl Interrupts {
    /// Listens from now on: a signal sent at any moment after this is heard.
    /// Without signal support (not Unix) nothing is ever received.
    pub fn listen() -> std::io::Result<Self> {
        let interrupts = Interrupts::default();
        interrupts.0.running.store(true, Ordering::SeqCst);
        #[cfg(unix)]
        {
            use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
            let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
            let shared = interrupts.0.clone();
            std::thread::Builder::new()
                .name("iotrun-signals".into())
                .spawn(move || {
                    for signal in signals.forever() {
                        shared.received(signal == SIGHUP);
                    }
                })?;
        }
        Ok(interrupts)
    }

    /// Resolves once a signal has come.
    pub async fn requested(&self) {
        loop {
            if self.interrupted() {
                return;
            }
            self.0.wake.notified().await;
        }
    }

    pub fn interrupted(&self) -> bool {
        self.0.received.load(Ordering::SeqCst) > 0
    }

    /// Whether SIGHUP came: the terminal is gone, and so is output to it.
    pub fn hung_up(&self) -> bool {
        self.0.hangup.load(Ordering::SeqCst)
    }

    /// The run is over and every device is disconnected: a signal from now
    /// on exits at once.
    pub fn run_over(&self) {
        self.0.running.store(false, Ordering::SeqCst);
    }

    /// An observer that keeps track of which devices are connected.
    pub fn connections(&self) -> Connections {
        Connections(self.0.clone())
    }
}

impl Default for Interrupts {
    fn default() -> Self {
        Interrupts(Arc::new(Shared::default()))
    }
}

impl Shared {
    fn received(&self, hangup: bool) {
        if hangup {
            self.hangup.store(true, Ordering::SeqCst);
        }
        let first = self.received.fetch_add(1, Ordering::SeqCst) == 0;
        if first && self.running.load(Ordering::SeqCst) {
            self.wake.notify_one();
            return;
        }
        let mut left: Vec<String> = self
            .connected
            .lock()
            .map(|c| c.iter().cloned().collect())
            .unwrap_or_default();
        if !left.is_empty() {
            left.sort();
            let names: Vec<&str> = left.iter().map(String::as_str).collect();
            let line = format!(
                "iotrun: interrupted again, exiting at once: {} not disconnected\n",
                crate::diagnostic::all(&names)
            );
            // Written by a thread of its own: a stuck stderr must not keep
            // the process from exiting.
            let (done, wait) = std::sync::mpsc::channel();
            let _ = std::thread::Builder::new().spawn(move || {
                let _ = std::io::stderr().write_all(line.as_bytes());
                let _ = done.send(());
            });
            let _ = wait.recv_timeout(LAST_WORD);
        }
        std::process::exit(Exit::Interrupted.code());
    }
}

/// Keeps [`Interrupts`] told which devices are connected, from the run's
/// own events.
pub struct Connections(Arc<Shared>);

impl Observer for Connections {
    fn event(&mut self, _: Duration, event: &Event<'_>) {
        let (device, connected) = match *event {
            Event::ConnectStart { device, .. } => (device, true),
            Event::DisconnectEnd { device, .. } => (device, false),
            _ => return,
        };
        if let Ok(mut set) = self.0.connected.lock() {
            if connected {
                set.insert(device.to_string());
            } else {
                set.remove(device);
            }
        }
    }
}
