//! Ctrl-C. keyadm installs no handler of its own until it asks a question or starts a command
//! that changes things; until then SIGINT ends it at once, as it does any program (a shell
//! shows exit 130).
//! SIGTERM (from `timeout`, a job scheduler's deadline, `kill`) and SIGHUP (a closed
//! terminal) are handled as Ctrl-C is from then on: ending the process there would leave its
//! statement to run on without it, just as below.
//!
//! - **At a question.** The prompts change the terminal (no echo while a secret is typed, the
//!   cursor hidden during a yes/no question), and SIGINT's default action would end keyadm
//!   with the terminal left that way. While a question is open, Ctrl-C puts the terminal back
//!   and ends keyadm as an aborted command: exit 5, nothing changed.
//! - **While a command changes things.** Ending the process would not stop its statement: the
//!   server finds out that the client is gone only when it next writes to it, so a `revoke`
//!   waiting on a row lock would still revoke once the lock is released. Ctrl-C there sends
//!   the server a cancel request for the running statement, as psql does, and keyadm goes on
//!   to report what the cancelled statement left: it was rolled back, so the command ends as
//!   interrupted (exit 5), and a sweep says how many keys its committed batches had changed.
//!   A statement that finished before the request arrived stands, and is reported as done.
//!   No statement starts after Ctrl-C. A second Ctrl-C ends keyadm at once.
//!
//! A signal that finds nothing left to undo or cancel ends keyadm by that signal, as its
//! default action would: a shell shows 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP, and a
//! script's loop stops at a Ctrl-C as it does for any program.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::error::{Error, exit};
use crate::output::Printer;

/// What Ctrl-C must undo while a question is open.
struct Question {
    printer: Printer,
    terminal: Option<rustix::termios::Termios>,
    hint: String,
}

/// How to cancel the statement of a command that changes things.
struct Work {
    printer: Printer,
    cancel: Box<dyn FnOnce() -> Result<(), String> + Send>,
}

static OPEN: Mutex<Option<Question>> = Mutex::new(None);
static WORK: Mutex<Option<Work>> = Mutex::new(None);
/// Set once Ctrl-C has asked for the running statement to be cancelled.
static CANCELLED: AtomicBool = AtomicBool::new(false);

/// Takes SIGINT, SIGTERM and SIGHUP over from their default action (once). The handlers are
/// in place when this returns; the signals are then taken on a thread of their own.
fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let (installed, wait) = std::sync::mpsc::sync_channel(0);
        let taker = std::thread::Builder::new()
            .name("keyadm-signals".into())
            .spawn(move || {
                // If the handlers cannot be installed, the signals keep their default action.
                let signals = Signals::new([SIGINT, SIGTERM, SIGHUP]);
                let _ = installed.send(());
                if let Ok(mut signals) = signals {
                    for signal in signals.forever() {
                        on_signal(signal);
                    }
                }
            });
        if taker.is_ok() {
            let _ = wait.recv();
        }
    });
}

/// A question being asked; Ctrl-C aborts it cleanly until this is dropped.
pub struct Asking(());

impl Asking {
    /// Opens a question: remembers the terminal's settings as they are before the prompt
    /// changes them. `hint` is the next step printed after an interruption.
    pub fn start(printer: &Printer, hint: &str) -> Asking {
        install();
        let question = Question {
            printer: printer.clone(),
            terminal: rustix::termios::tcgetattr(std::io::stdin()).ok(),
            hint: hint.to_owned(),
        };
        *OPEN.lock().unwrap_or_else(|e| e.into_inner()) = Some(question);
        Asking(())
    }

    /// Whether a prompt's error is Ctrl-C, and if so waits (up to a second) for the handler to
    /// end the process: the terminal library reads Ctrl-C as a key, then raises SIGINT. The
    /// caller reports nothing itself unless the handler never ran.
    pub fn wait_if_interrupted(err: &std::io::Error) -> bool {
        if err.kind() == std::io::ErrorKind::Interrupted {
            std::thread::sleep(std::time::Duration::from_secs(1));
            return true;
        }
        false
    }
}

impl Drop for Asking {
    fn drop(&mut self) {
        *OPEN.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// From now on, Ctrl-C outside a question calls `cancel` (on a thread of its own) to cancel
/// the running statement, instead of ending the process.
pub fn cancel_statements(
    printer: &Printer,
    cancel: impl FnOnce() -> Result<(), String> + Send + 'static,
) {
    install();
    *WORK.lock().unwrap_or_else(|e| e.into_inner()) = Some(Work {
        printer: printer.clone(),
        cancel: Box::new(cancel),
    });
}

/// Whether Ctrl-C has cancelled the command's statements: none may start any more.
pub fn cancelled() -> bool {
    CANCELLED.load(Ordering::SeqCst)
}

/// The error of a command that Ctrl-C stopped before it changed anything; `hint` is the next
/// step.
pub fn interrupted(hint: &str) -> Error {
    Error::Aborted {
        message: "interrupted; nothing changed".into(),
        hint: hint.into(),
    }
}

/// The error of a command whose statement Ctrl-C cancelled (or kept from starting).
pub fn cancelled_error() -> Error {
    interrupted(
        "the statement was cancelled and rolled back; if it was waiting for a lock, pg_locks and pg_stat_activity show who holds it",
    )
}

/// What SIGINT, SIGTERM or SIGHUP (`signal`) does once keyadm has taken them over (run on the
/// signals' own thread, not in signal context).
fn on_signal(signal: i32) {
    let question = OPEN.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(question) = question {
        end_question(question);
    }
    // Taken: a second signal finds nothing to cancel and ends the process.
    let work = WORK.lock().unwrap_or_else(|e| e.into_inner()).take();
    let Some(work) = work else {
        end_by(signal);
    };
    CANCELLED.store(true, Ordering::SeqCst);
    work.printer.cancelling();
    // The request opens a connection of its own, which may hang: not on the handler's
    // thread, so that a second Ctrl-C is still heard.
    let sent = std::thread::Builder::new().spawn(move || {
        if let Err(err) = (work.cancel)() {
            work.printer
                .warning(&format!("could not send the cancel request: {err}"));
        }
    });
    if sent.is_err() {
        end_by(signal);
    }
}

/// Ends the process by `signal`, as its default action would have.
fn end_by(signal: i32) -> ! {
    let _ = signal_hook::low_level::emulate_default_handler(signal);
    // Not reached: the signal's default action ends the process. Should it not, the status a
    // shell would show for it.
    std::process::exit(128 + signal);
}

/// Ctrl-C at a question: the terminal put back, and the process ended (exit 5).
fn end_question(question: Question) -> ! {
    if let Some(terminal) = &question.terminal {
        let _ = rustix::termios::tcsetattr(
            std::io::stdin(),
            rustix::termios::OptionalActions::Now,
            terminal,
        );
    }
    question.printer.interrupted(&interrupted(&question.hint));
    std::process::exit(exit::ABORTED.into());
}
