//! A deadline for work that cannot bound itself: connecting, whose driver times only the TCP
//! handshake, so a server that accepts and then never answers would hang the startup.
//!
//! The work runs on the calling thread; a small watchdog thread waits beside it and, if the
//! work is still going when the time is up, reports and ends the process. Doing the work on
//! a thread of its own instead (and waiting for it) cost every command about 0.4 ms: the
//! hand-over between threads, and a second malloc arena for everything the connection
//! allocates (BENCHMARKS.md).

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use crate::error::{Error, Result};

/// Cancels the deadline when dropped.
pub struct Deadline {
    /// Set (under the lock) when the work is done. The watchdog holds the lock while it
    /// reports and ends the process, so the work either goes on or is reported as timed
    /// out, never both: a drop that comes too late waits for the end of the process.
    done: Arc<Mutex<bool>>,
    _wake: mpsc::Sender<()>,
}

impl Deadline {
    /// Calls `on_expiry` (which must end the process) if this `Deadline` is still alive after
    /// `timeout`.
    pub fn start(timeout: Duration, on_expiry: impl FnOnce() + Send + 'static) -> Result<Deadline> {
        let (wake, woken) = mpsc::channel::<()>();
        let done = Arc::new(Mutex::new(false));
        let watched = Arc::clone(&done);
        thread::Builder::new()
            .name("keyadm-deadline".into())
            // It only waits: a small stack is quicker to set up.
            .stack_size(64 * 1024)
            .spawn(move || {
                if let Err(RecvTimeoutError::Timeout) = woken.recv_timeout(timeout) {
                    let done = watched.lock().unwrap_or_else(PoisonError::into_inner);
                    if !*done {
                        on_expiry();
                    }
                }
            })
            .map_err(|err| Error::failure(format!("cannot start the connect timer: {err}")))?;
        Ok(Deadline { done, _wake: wake })
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        *self.done.lock().unwrap_or_else(PoisonError::into_inner) = true;
    }
}
