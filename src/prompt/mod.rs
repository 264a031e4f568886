//! Questions to the operator: only on a terminal, never with --no-input, never waiting on a
//! pipe. Prompts are drawn on stderr so stdout stays clean for the answer's result.

use std::io::IsTerminal;

use dialoguer::Password;

use crate::error::{Error, Result};
// Ctrl-C at a question, should its handler not have ended keyadm already.
use crate::interrupt::{Asking, interrupted};
use crate::output::Printer;

mod line;
mod yes_no;

use line::{Line, read_line};
use yes_no::yes_or_no;

/// Decides whether keyadm may ask, and asks.
#[derive(Debug, Clone)]
pub struct Prompter {
    interactive: bool,
    assume_yes: bool,
    /// Reports Ctrl-C at a question.
    printer: Printer,
}

impl Prompter {
    /// Interactive only when stdin and stderr are terminals and `--no-input` was not given.
    pub fn new(assume_yes: bool, no_input: bool, printer: Printer) -> Prompter {
        let interactive =
            !no_input && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        Prompter {
            interactive,
            assume_yes,
            printer,
        }
    }

    /// Whether keyadm may ask questions.
    pub fn is_interactive(&self) -> bool {
        self.interactive
    }

    /// Confirms a change that revokes, expires or deletes. `--yes` answers for the user;
    /// without a terminal the change is refused (exit 5) and nothing is done. The default
    /// answer is no.
    pub fn confirm(&self, question: &str) -> Result<()> {
        if self.assume_yes {
            return Ok(());
        }
        if !self.interactive {
            return Err(Error::Aborted {
                message:
                    "confirmation required, and there is no terminal to ask on; nothing changed"
                        .into(),
                hint: "pass --yes to confirm".into(),
            });
        }
        let hint = "pass --yes to skip the question";
        let _asking = Asking::start(&self.printer, hint);
        match yes_or_no(question) {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::Aborted {
                message: "not confirmed; nothing changed".into(),
                hint: hint.into(),
            }),
            Err(err) if Asking::wait_if_interrupted(&err) => Err(interrupted(hint)),
            Err(err) => Err(Error::Aborted {
                message: format!("could not ask for confirmation ({err}); nothing changed"),
                hint: "pass --yes to confirm".into(),
            }),
        }
    }

    /// Asks for a required value that was not given (Tab completes from `known`), or fails
    /// with a usage error naming the flag when keyadm may not ask. Esc or Ctrl-D leaves the
    /// question: aborted (exit 5), nothing changed.
    pub fn ask(
        &self,
        flag: &str,
        prompt: &str,
        validate: fn(&str) -> Result<(), String>,
        known: &[String],
    ) -> Result<String> {
        if !self.interactive {
            return Err(Error::Usage {
                message: format!("{flag} is required"),
                hint: Some(format!(
                    "give {flag} (keyadm asks for it only on a terminal)"
                )),
            });
        }
        let hint = format!("give {flag} to skip the question");
        let _asking = Asking::start(&self.printer, &hint);
        let complete = |typed: &str| {
            known
                .iter()
                .find(|value| value.starts_with(typed) && value.as_str() != typed)
                .cloned()
        };
        match read_line(prompt, validate, complete) {
            Ok(Line::Value(value)) => Ok(value),
            Ok(Line::Left) => Err(Error::Aborted {
                message: format!("no {flag} given; nothing changed"),
                hint,
            }),
            Err(err) if Asking::wait_if_interrupted(&err) => Err(interrupted(&hint)),
            Err(err) => Err(Error::usage(format!("could not read {flag}: {err}"))),
        }
    }

    /// Reads a secret from the terminal without echoing it. An empty answer (Enter, or
    /// Ctrl-D, the end of input) is none; the prompt does not ask again.
    pub fn secret(&self) -> Result<Option<String>> {
        if !self.interactive {
            return Ok(None);
        }
        let hint = "pipe the secret to stdin to skip the question";
        let _asking = Asking::start(&self.printer, hint);
        Password::new()
            .with_prompt("Secret")
            .allow_empty_password(true)
            .interact()
            .map(|secret| Some(secret).filter(|s| !s.is_empty()))
            .map_err(|dialoguer::Error::IO(err)| {
                if Asking::wait_if_interrupted(&err) {
                    interrupted(hint)
                } else {
                    Error::usage(format!("could not read the secret: {err}"))
                }
            })
    }
}
