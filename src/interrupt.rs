//! Ctrl-C while keyadm asks a question. The prompts change the terminal (no echo while a secret
//! is typed, the cursor hidden during a yes/no question), and SIGINT's default action would end
//! keyadm with the terminal left that way. While a question is open, Ctrl-C puts the terminal
//! back and ends keyadm as an aborted command: exit 5, nothing changed. At any other time it
//! ends keyadm as SIGINT does (exit 130), with no handler installed until a first question.

use std::sync::{Mutex, Once};

use crate::error::{Error, exit};
use crate::output::Printer;

/// What Ctrl-C must undo while a question is open.
struct Question {
    printer: Printer,
    terminal: Option<rustix::termios::Termios>,
    hint: String,
}

static OPEN: Mutex<Option<Question>> = Mutex::new(None);

/// The exit status of a process ended by SIGINT, as shells report it.
const INTERRUPTED: i32 = 130;

/// A question being asked; Ctrl-C aborts it cleanly until this is dropped.
pub struct Asking(());

impl Asking {
    /// Opens a question: remembers the terminal's settings as they are before the prompt
    /// changes them. `hint` is the next step printed after an interruption.
    pub fn start(printer: &Printer, hint: &str) -> Asking {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            // If a handler cannot be installed, Ctrl-C keeps its default action.
            let _ = ctrlc::set_handler(interrupted);
        });
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
    pub fn wait_if_interrupted(err: &dialoguer::Error) -> bool {
        let dialoguer::Error::IO(io) = err;
        if io.kind() == std::io::ErrorKind::Interrupted {
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

/// The SIGINT handler (run on a thread of its own, not in signal context).
fn interrupted() {
    let question = OPEN.lock().unwrap_or_else(|e| e.into_inner()).take();
    let Some(question) = question else {
        std::process::exit(INTERRUPTED);
    };
    if let Some(terminal) = &question.terminal {
        let _ = rustix::termios::tcsetattr(
            std::io::stdin(),
            rustix::termios::OptionalActions::Now,
            terminal,
        );
    }
    question.printer.interrupted(&Error::Aborted {
        message: "interrupted; nothing changed".into(),
        hint: question.hint,
    });
    std::process::exit(exit::ABORTED.into());
}
