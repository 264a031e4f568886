//! A panic is a bug in keyadm. It is reported like any other failure, as one line on stderr
//! (JSON under `--json`) with exit 8, never as Rust's panic message, a backtrace and exit 101.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};

use crate::error::Error;

thread_local! {
    /// What the hook saw of this thread's last panic: its message and where it happened.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Replaces Rust's panic message (and its backtrace, which `RUST_BACKTRACE` in a user's
/// environment would print) with a note for [`guarded`] to report.
pub fn install_hook() {
    panic::set_hook(Box::new(|info| {
        let message = info.payload_as_str().unwrap_or("a panic");
        let note = match info.location() {
            Some(at) => format!("{message} (at {}:{})", at.file(), at.line()),
            None => message.to_owned(),
        };
        LAST_PANIC.with(|last| *last.borrow_mut() = Some(note));
    }));
}

/// Runs `work`; a panic in it becomes an [`Error::Failure`] saying what and where. Values
/// owned by `work` are dropped as it unwinds, so a question on the terminal is put away first.
pub fn guarded<T>(work: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    panic::catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|payload| {
        let note = LAST_PANIC
            .with(|last| last.borrow_mut().take())
            .unwrap_or_else(|| {
                payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".to_owned())
            });
        Err(Error::Failure {
            message: format!("internal error: {note}"),
            hint: Some(
                "this is a bug in keyadm: please report it, with the command that led to it".into(),
            ),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_failure_that_says_what_happened() {
        let err = guarded(|| -> Result<(), Error> { panic!("no {} here", "bool") }).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::FAILURE);
        assert!(
            err.to_string().contains("internal error: no bool here"),
            "{err}"
        );
        assert!(err.hint().unwrap().contains("bug in keyadm"));
        // What does not panic passes through as it was.
        assert_eq!(guarded(|| Ok::<_, Error>(7)).unwrap(), 7);
        assert!(matches!(
            guarded(|| Err::<(), _>(Error::usage("bad"))),
            Err(Error::Usage { .. })
        ));
    }
}
