//! A run's output, written by a thread of its own so that a reader who does
//! not read can never make the run deaf.
//!
//! Why: a blocking `write` to a full pipe nobody reads would park the one
//! thread that runs the program, and with it the handling of Ctrl-C and the
//! disconnect of every device. Here the runtime only appends to a buffer
//! (one uncontended lock); the buffer is handed to the writer thread when it
//! fills, and whenever the runtime goes idle (tokio's `on_thread_park`), so
//! that output stays live on a terminal or a pipe without a flush per line.
//!
//! When the writer falls behind by more than [`BACKLOG`], a write waits for
//! it, as a blocking pipe would, but only until an interrupt: after one,
//! writes never wait, and at the end the writer is given [`GRACE`] to
//! drain before the process exits anyway, dropping what could not be
//! written. A closed pipe (`| head`) drops the rest quietly, as does any
//! failure after SIGHUP (the terminal is gone); any other failure (`/dev/full`)
//! is kept and reported once the devices are disconnected.
//!
//! The writer thread owns the terminal: when a live progress bar is shown,
//! it is drawn from here too, cleared around each chunk of lines.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::interrupt::Interrupts;
use crate::view::Bar;

/// A buffer this large is handed to the writer without waiting for idle.
const CHUNK: usize = 64 << 10;
/// Bytes handed over and not yet written past which a write waits.
pub const BACKLOG: usize = 8 << 20;
/// How long the writer may go on draining after an interrupt.
pub const GRACE: Duration = Duration::from_millis(500);
/// How often a shown progress bar is redrawn.
const REFRESH: Duration = Duration::from_millis(100);

/// The writer thread and the handle the run writes through.
pub struct Output {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// What the run writes through; cheap to clone. `flush` does nothing: the
/// buffer is handed over when it fills and when the runtime goes idle.
#[derive(Clone)]
pub struct Sink(Arc<Shared>);

struct Shared {
    state: Mutex<State>,
    /// The writer waits here for chunks.
    work: Condvar,
    /// Writers of the run, and `finish`, wait here for the writer.
    written: Condvar,
    interrupts: Interrupts,
}

#[derive(Default)]
struct State {
    /// Appended to by the run.
    buffer: Vec<u8>,
    /// Handed over, not yet written.
    queue: VecDeque<Vec<u8>>,
    queued: usize,
    /// The writer holds a chunk it is writing.
    writing: bool,
    /// No more will come: the writer ends once the queue is empty.
    finished: bool,
    /// The output is gone (a closed pipe, a failure): the rest is dropped.
    closed: bool,
    error: Option<io::Error>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the state half-changed: every
        // change is a few plain assignments.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn hand_over(&self, state: &mut State) {
        if state.buffer.is_empty() {
            return;
        }
        let chunk = std::mem::take(&mut state.buffer);
        state.queued += chunk.len();
        state.queue.push_back(chunk);
        self.work.notify_one();
    }
}

impl Output {
    /// Starts the writer thread for `out`; `bar` is a live progress bar to
    /// draw on the terminal beside it.
    pub fn spawn(
        out: Box<dyn Write + Send>,
        interrupts: Interrupts,
        bar: Option<Bar>,
    ) -> io::Result<Self> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            written: Condvar::new(),
            interrupts,
        });
        let writer = shared.clone();
        let thread = std::thread::Builder::new()
            .name("iotrun-output".into())
            .spawn(move || write_all(&writer, out, bar))?;
        Ok(Output {
            shared,
            thread: Some(thread),
        })
    }

    pub fn sink(&self) -> Sink {
        Sink(self.shared.clone())
    }

    /// Hands what is buffered to the writer: for the runtime's idle hook.
    pub fn idle_hook(&self) -> impl Fn() + Send + Sync + 'static {
        let shared = self.shared.clone();
        move || {
            let mut state = shared.lock();
            shared.hand_over(&mut state);
        }
    }

    /// Writes what is left and stops the writer. After an interrupt it has
    /// [`GRACE`] to do so; what it has not written by then is dropped.
    /// Returns the first failure to write, other than a closed pipe or
    /// anything after SIGHUP.
    pub fn finish(mut self) -> Option<io::Error> {
        let shared = self.shared.clone();
        let mut state = shared.lock();
        shared.hand_over(&mut state);
        state.finished = true;
        shared.work.notify_one();
        let mut deadline = None;
        while state.writing || !state.queue.is_empty() {
            if state.closed {
                break;
            }
            if shared.interrupts.interrupted() {
                let until = *deadline.get_or_insert_with(|| Instant::now() + GRACE);
                let left = until.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    // The reader does not read; the process exits without it.
                    return state.error.take();
                }
                state = shared
                    .written
                    .wait_timeout(state, left)
                    .map_or_else(|p| p.into_inner().0, |(s, _)| s);
            } else {
                // A signal during this wait is heard all the same.
                state = shared
                    .written
                    .wait_timeout(state, REFRESH)
                    .map_or_else(|p| p.into_inner().0, |(s, _)| s);
            }
        }
        let error = state.error.take();
        drop(state);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        error
    }
}

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let shared = &*self.0;
        let mut state = shared.lock();
        if state.closed {
            return Ok(bytes.len());
        }
        // Wait for a writer that fell far behind, as a pipe would make us,
        // but never past an interrupt: the devices must be disconnected.
        while state.queued > BACKLOG && !state.closed && !shared.interrupts.interrupted() {
            state = shared
                .written
                .wait_timeout(state, Duration::from_millis(10))
                .map_or_else(|p| p.into_inner().0, |(s, _)| s);
        }
        state.buffer.extend_from_slice(bytes);
        if state.buffer.len() >= CHUNK {
            shared.hand_over(&mut state);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The writer thread: writes chunks as they come, and keeps a progress bar
/// drawn below them.
fn write_all(shared: &Shared, mut out: Box<dyn Write + Send>, mut bar: Option<Bar>) {
    loop {
        let chunk = {
            let mut state = shared.lock();
            loop {
                if let Some(chunk) = state.queue.pop_front() {
                    state.writing = true;
                    break Some(chunk);
                }
                if state.finished {
                    break None;
                }
                state = match &bar {
                    Some(_) => shared
                        .work
                        .wait_timeout(state, REFRESH)
                        .map_or_else(|p| p.into_inner().0, |(s, _)| s),
                    None => shared
                        .work
                        .wait(state)
                        .unwrap_or_else(|poisoned| poisoned.into_inner()),
                };
                if let Some(bar) = &mut bar {
                    bar.refresh();
                }
            }
        };
        let Some(chunk) = chunk else {
            break;
        };
        // Once the run has ended, the bar goes before the summary is written,
        // not after: no bar is left drawn below it.
        if bar.as_ref().is_some_and(Bar::over)
            && let Some(bar) = bar.take()
        {
            bar.clear();
        }
        let result = match &bar {
            Some(bar) => bar.suspend(|| out.write_all(&chunk).and_then(|()| out.flush())),
            None => out.write_all(&chunk).and_then(|()| out.flush()),
        };
        if let Some(bar) = &mut bar {
            bar.refresh();
        }
        let mut state = shared.lock();
        state.writing = false;
        state.queued = state.queued.saturating_sub(chunk.len());
        if let Err(err) = result {
            // The rest is dropped: nobody can read it.
            state.closed = true;
            state.queue.clear();
            state.queued = 0;
            let quiet = err.kind() == io::ErrorKind::BrokenPipe || shared.interrupts.hung_up();
            if !quiet && state.error.is_none() {
                state.error = Some(err);
            }
        }
        shared.written.notify_all();
    }
    if let Some(bar) = bar {
        bar.clear();
    }
    let mut state = shared.lock();
    state.writing = false;
    shared.written.notify_all();
}
