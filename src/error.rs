//! The one error type of keyadm: every failure knows its exit code, its JSON code and its hint.

use std::fmt;

/// Exit statuses of the contract (section 3, "Exit codes").
pub mod exit {
    /// Success (for `check`: every key valid).
    pub const SUCCESS: u8 = 0;
    /// `check`: a key is not valid.
    pub const INVALID: u8 = 1;
    /// Bad flag, value, duration or time.
    pub const USAGE: u8 = 2;
    /// KEY matches no key.
    pub const NOT_FOUND: u8 = 3;
    /// Ambiguous KEY, name in use, key already rotated, revoked or expired.
    pub const CONFLICT: u8 = 4;
    /// Confirmation declined, or required and no terminal.
    pub const ABORTED: u8 = 5;
    /// Schema not initialised or newer than this binary.
    pub const SCHEMA: u8 = 6;
    /// Cannot connect, authentication failed, timed out.
    pub const UNAVAILABLE: u8 = 7;
    /// Anything else.
    pub const FAILURE: u8 = 8;
}

/// A failed command. The message is one line; the hint, when present, says what to do next.
#[derive(Debug)]
pub enum Error {
    /// Bad flag, value, duration or time (exit 2).
    Usage {
        message: String,
        hint: Option<String>,
    },
    /// KEY matches no key (exit 3); the hint, when none is given, is to list every key.
    NotFound {
        message: String,
        hint: Option<String>,
    },
    /// KEY matches several keys (exit 4); `candidates` describe each one.
    Ambiguous {
        input: String,
        candidates: Vec<String>,
        /// More keys match than the candidates shown.
        more: bool,
    },
    /// Name in use, key already rotated, revoked or expired (exit 4).
    Conflict {
        message: String,
        hint: Option<String>,
    },
    /// Confirmation declined, or required and impossible (exit 5).
    Aborted { message: String, hint: String },
    /// Schema not initialised, out of date, or newer than this binary (exit 6).
    Schema { message: String, hint: String },
    /// Database unavailable: cannot connect, authentication failed, timed out (exit 7).
    Unavailable {
        message: String,
        hint: Option<String>,
    },
    /// Any other failure (exit 8).
    Failure {
        message: String,
        hint: Option<String>,
    },
    /// Standard output was closed by its reader (`keyadm list | head`): exit 0 quietly.
    BrokenPipe,
}

/// The result type used throughout keyadm.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A usage error without a hint.
    pub fn usage(message: impl Into<String>) -> Error {
        Error::Usage {
            message: message.into(),
            hint: None,
        }
    }

    /// A conflict without a hint.
    pub fn conflict(message: impl Into<String>) -> Error {
        Error::Conflict {
            message: message.into(),
            hint: None,
        }
    }

    /// An unexpected failure without a hint.
    pub fn failure(message: impl Into<String>) -> Error {
        Error::Failure {
            message: message.into(),
            hint: None,
        }
    }

    /// The same error with `more` appended to its message (`; more`). An ambiguous KEY and a
    /// closed stdout, which have no message of their own, are left as they are.
    pub fn with_more(mut self, more: &str) -> Error {
        match &mut self {
            Error::Usage { message, .. }
            | Error::NotFound { message, .. }
            | Error::Conflict { message, .. }
            | Error::Aborted { message, .. }
            | Error::Schema { message, .. }
            | Error::Unavailable { message, .. }
            | Error::Failure { message, .. } => {
                message.push_str("; ");
                message.push_str(more);
            }
            Error::Ambiguous { .. } | Error::BrokenPipe => {}
        }
        self
    }

    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage { .. } => exit::USAGE,
            Error::NotFound { .. } => exit::NOT_FOUND,
            Error::Ambiguous { .. } | Error::Conflict { .. } => exit::CONFLICT,
            Error::Aborted { .. } => exit::ABORTED,
            Error::Schema { .. } => exit::SCHEMA,
            Error::Unavailable { .. } => exit::UNAVAILABLE,
            Error::Failure { .. } => exit::FAILURE,
            Error::BrokenPipe => exit::SUCCESS,
        }
    }

    /// The stable machine-readable code used in JSON errors.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Usage { .. } => "usage",
            Error::NotFound { .. } => "not_found",
            Error::Ambiguous { .. } => "ambiguous",
            Error::Conflict { .. } => "conflict",
            Error::Aborted { .. } => "aborted",
            Error::Schema { .. } => "schema",
            Error::Unavailable { .. } => "unavailable",
            Error::Failure { .. } => "failure",
            Error::BrokenPipe => "broken_pipe",
        }
    }

    /// What the user could do next, if known.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Usage { hint, .. }
            | Error::Conflict { hint, .. }
            | Error::Unavailable { hint, .. }
            | Error::Failure { hint, .. } => hint.clone(),
            Error::Aborted { hint, .. } | Error::Schema { hint, .. } => Some(hint.clone()),
            Error::Ambiguous { candidates, .. } => Some(format!(
                "use the full id or a longer id prefix; candidates: {}",
                candidates.join("; ")
            )),
            Error::NotFound { hint, .. } => {
                Some(hint.clone().unwrap_or_else(|| {
                    "`keyadm list --status all` shows every key and its id".into()
                }))
            }
            Error::BrokenPipe => None,
        }
    }

    /// Candidate keys of an ambiguous identifier, for JSON errors.
    pub fn candidates(&self) -> Option<&[String]> {
        match self {
            Error::Ambiguous { candidates, .. } => Some(candidates),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage { message, .. }
            | Error::NotFound { message, .. }
            | Error::Conflict { message, .. }
            | Error::Aborted { message, .. }
            | Error::Schema { message, .. }
            | Error::Unavailable { message, .. }
            | Error::Failure { message, .. } => f.write_str(message),
            Error::Ambiguous {
                input,
                candidates,
                more,
            } => write!(
                f,
                "KEY '{input}' is ambiguous: it matches {}{} keys",
                if *more { "more than " } else { "" },
                candidates.len()
            ),
            Error::BrokenPipe => f.write_str("broken pipe"),
        }
    }
}

impl std::error::Error for Error {}
