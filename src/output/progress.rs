//! Progress bars for long work, on stderr, only on a terminal and never with --quiet.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use super::Printer;

/// A progress bar, or nothing when it must not be drawn.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar of `total` steps, or a counter when the total is unknown.
    pub fn new(printer: &Printer, total: Option<u64>, message: &str) -> Progress {
        if printer.quiet || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = match total {
            Some(total) => ProgressBar::new(total).with_style(
                ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} ({eta})")
                    .expect("valid template"),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} {msg} {pos}").expect("valid template"),
            ),
        };
        bar.set_message(message.to_owned());
        Progress(Some(bar))
    }

    /// No bar: for work whose pace is someone's typing.
    pub fn none() -> Progress {
        Progress(None)
    }

    /// Moves the bar forward.
    pub fn advance(&self, steps: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(steps);
        }
    }

    /// Runs `write`, which writes (and flushes) what goes to stdout, with the bar out of the
    /// way: cleared first and drawn again after. Where stdout and stderr are one terminal,
    /// lines written past the bar would otherwise leave copies of it among them.
    pub fn suspend<R>(&self, write: impl FnOnce() -> R) -> R {
        match &self.0 {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    /// Removes the bar.
    pub fn finish(self) {
        if let Some(bar) = self.0 {
            bar.finish_and_clear();
        }
    }
}
