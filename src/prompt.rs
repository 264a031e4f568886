//! Questions to the operator: only on a terminal, never with --no-input, never waiting on a
//! pipe. Prompts are drawn on stderr so stdout stays clean for the answer's result.

use std::io::IsTerminal;

use console::{Key, Term};
use dialoguer::{Completion, Input, Password};

use crate::error::{Error, Result};
// Ctrl-C at a question, should its handler not have ended keyadm already.
use crate::interrupt::{Asking, interrupted};
use crate::output::Printer;

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
    /// with a usage error naming the flag when keyadm may not ask.
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
        let completion = Known(known);
        let hint = format!("give {flag} to skip the question");
        let _asking = Asking::start(&self.printer, &hint);
        Input::<String>::new()
            .with_prompt(prompt)
            .completion_with(&completion)
            .validate_with(|text: &String| validate(text))
            .interact_text()
            .map_err(|dialoguer::Error::IO(err)| {
                if Asking::wait_if_interrupted(&err) {
                    interrupted(&hint)
                } else {
                    Error::usage(format!("could not read {flag}: {err}"))
                }
            })
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

/// Asks `question` on the terminal, answered by one key, drawn as dialoguer's `Confirm` draws
/// it (`question [y/N] `, then `question yes` or `no`). `Confirm` ignores Ctrl-D, Esc and
/// `q`; here they answer no, as Enter does, since the end of input is not a yes.
fn yes_or_no(question: &str) -> std::io::Result<bool> {
    let term = Term::stderr();
    if !term.is_term() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotConnected,
            "not a terminal",
        ));
    }
    term.write_str(&format!("{question} [y/N] "))?;
    term.hide_cursor()?;
    let answer = loop {
        match term.read_key() {
            Ok(Key::Char('y' | 'Y')) => break true,
            Ok(Key::Char('n' | 'N' | 'q' | '\u{4}') | Key::Enter | Key::Escape) => break false,
            Ok(_) => {}
            // The terminal gone or the read failed: the cursor is not left hidden.
            Err(err) => {
                let _ = term.show_cursor();
                return Err(err);
            }
        }
    };
    term.clear_line()?;
    term.write_line(&format!("{question} {}", if answer { "yes" } else { "no" }))?;
    term.show_cursor()?;
    Ok(answer)
}

/// Completes a prefix to the first known value that starts with it.
struct Known<'a>(&'a [String]);

impl Completion for Known<'_> {
    fn get(&self, input: &str) -> Option<String> {
        self.0
            .iter()
            .find(|value| value.starts_with(input) && value.as_str() != input)
            .cloned()
    }
}
