//! The only place that writes to stdout and stderr. Commands return values; this module
//! renders them as tables for people or JSON for scripts.

mod json;
mod table;

use std::io::{self, IsTerminal, Write};
use std::path::Path;

use crate::cli::{ColorChoice, Format};
use crate::error::{Error, Result};
use crate::model::{
    CheckOutcome, InitReport, Key, KeyDetail, MigrationState, RevokeOutcome, Rotation,
};

/// Keys rendered per table page when listing (bounded memory, aligned columns).
const LIST_PAGE: usize = 500;

/// Renders results and errors in the chosen format.
#[derive(Debug, Clone)]
pub struct Printer {
    format: Format,
    quiet: bool,
    color: bool,
}

fn write_error(err: io::Error) -> Error {
    if err.kind() == io::ErrorKind::BrokenPipe {
        Error::BrokenPipe
    } else {
        Error::failure(format!("cannot write output: {err}"))
    }
}

impl Printer {
    /// A printer; colour is used only on a terminal unless forced, and never with NO_COLOR.
    pub fn new(format: Format, quiet: bool, color: ColorChoice) -> Printer {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color && io::stdout().is_terminal(),
        };
        Printer {
            format,
            quiet,
            color,
        }
    }

    /// Whether output is JSON.
    pub fn is_json(&self) -> bool {
        self.format == Format::Json
    }

    fn stdout(&self, text: &str) -> Result<()> {
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(write_error)
    }

    fn line(&self, text: &str) -> Result<()> {
        self.stdout(&format!("{text}\n"))
    }

    /// A note for people on stderr (not with --quiet, not under JSON).
    pub fn note(&self, text: &str) {
        if !self.quiet && !self.is_json() {
            let _ = writeln!(io::stderr().lock(), "{text}");
        }
    }

    /// A warning on stderr (not with --quiet).
    pub fn warning(&self, text: &str) {
        if !self.quiet {
            let _ = writeln!(io::stderr().lock(), "keyadm: warning: {text}");
        }
    }

    /// An error on stderr: one line with a hint line, or a JSON object under --format json.
    pub fn error(&self, err: &Error) {
        let mut stderr = io::stderr().lock();
        if self.is_json() {
            let _ = writeln!(stderr, "{}", json::error(err));
            return;
        }
        let _ = writeln!(stderr, "keyadm: error: {err}");
        if let Some(hint) = err.hint() {
            let _ = writeln!(stderr, "hint: {hint}");
        }
    }

    /// Help or version text from the argument parser.
    pub fn help(&self, text: &str) -> Result<()> {
        self.stdout(text)
    }

    /// `create`: the new key and its secret, shown once (or where it was written).
    pub fn created(&self, key: &Key, secret: &str, secret_file: Option<&Path>) -> Result<()> {
        let shown = secret_file.is_none().then_some(secret);
        if self.is_json() {
            return self.line(&json::created(key, shown, secret_file));
        }
        if self.quiet {
            return match shown {
                Some(secret) => self.line(secret),
                None => Ok(()),
            };
        }
        let mut text = format!(
            "Created key {} for {}/{}.\n\n",
            key.start, key.org, key.name
        );
        text.push_str(&table::key_fields(key, self.color));
        match secret_file {
            Some(path) => text.push_str(&format!(
                "\nSecret written to {} (mode 0600).\n",
                path.display()
            )),
            None => text.push_str(&format!(
                "\nSecret (shown only this once; store it now):\n\n    {secret}\n\n"
            )),
        }
        self.stdout(&text)
    }

    /// `rotate`: the successor's secret, shown once, and what happens to the old key.
    pub fn rotated(&self, rotation: &Rotation, secret: &str) -> Result<()> {
        if self.is_json() {
            return self.line(&json::rotated(rotation, secret));
        }
        if self.quiet {
            return self.line(secret);
        }
        let old = &rotation.predecessor;
        let new = &rotation.successor;
        let until = old.expires_at.as_ref().map_or_else(
            || "never expires".to_owned(),
            |at| format!("stays valid until {} UTC", table::time(at)),
        );
        let mut text = format!(
            "Rotated {} to {}; the old key {until}.\n\n",
            old.label(),
            new.start
        );
        text.push_str(&table::key_fields(new, self.color));
        text.push_str(&format!(
            "\nSecret (shown only this once; store it now):\n\n    {secret}\n\n"
        ));
        self.stdout(&text)
    }

    /// `show`.
    pub fn detail(&self, detail: &KeyDetail) -> Result<()> {
        if self.is_json() {
            self.line(&json::detail(detail))
        } else {
            self.stdout(&table::detail(detail, self.color))
        }
    }

    /// Starts a streamed list of keys.
    pub fn key_list(&self) -> KeyList<'_> {
        KeyList {
            printer: self,
            out: io::BufWriter::new(io::stdout().lock()),
            page: Vec::new(),
            widths: Vec::new(),
            count: 0,
        }
    }

    /// `revoke`.
    pub fn revoked(&self, outcomes: &[RevokeOutcome]) -> Result<()> {
        if self.is_json() {
            let keys: Vec<&Key> = outcomes.iter().map(|o| &o.key).collect();
            return self.line(&json::item(&keys));
        }
        if outcomes.is_empty() {
            self.note("No keys to revoke.");
            return Ok(());
        }
        let mut text = String::new();
        for outcome in outcomes {
            let verb = if outcome.changed {
                "Revoked"
            } else {
                "Already revoked"
            };
            text.push_str(&format!("{verb} {}\n", outcome.key.label()));
        }
        if self.quiet {
            Ok(())
        } else {
            self.stdout(&text)
        }
    }

    /// `check`.
    pub fn check(&self, outcome: &CheckOutcome) -> Result<()> {
        if self.is_json() {
            return self.line(&json::check(outcome));
        }
        if self.quiet {
            return Ok(());
        }
        let subject = outcome.key.as_ref().map(Key::label);
        let text = match (outcome.valid, subject) {
            (true, Some(subject)) => format!("valid: {subject}"),
            (false, Some(subject)) => format!("invalid ({}): {subject}", outcome.reason.as_str()),
            (_, None) => format!("invalid ({})", outcome.reason.as_str()),
        };
        self.line(&text)
    }

    /// `init`.
    pub fn init_report(&self, report: &InitReport) -> Result<()> {
        if self.is_json() {
            return self.line(&json::item(report));
        }
        if self.quiet {
            return Ok(());
        }
        let text = if report.applied.is_empty() {
            format!(
                "Schema \"{}\" is up to date (version {}).",
                report.schema, report.version
            )
        } else {
            let names: Vec<String> = report
                .applied
                .iter()
                .map(|m| format!("V{}__{}", m.version, m.name))
                .collect();
            format!(
                "Applied {} migration(s) to schema \"{}\" ({}); now at version {}.",
                report.applied.len(),
                report.schema,
                names.join(", "),
                report.version
            )
        };
        self.line(&text)
    }

    /// `init --status`.
    pub fn migration_status(&self, states: &[MigrationState]) -> Result<()> {
        if self.is_json() {
            self.line(&json::item(&states))
        } else {
            self.stdout(&table::migrations(states))
        }
    }
}

/// A list of keys being written as they arrive from the database, through one buffer.
pub struct KeyList<'a> {
    printer: &'a Printer,
    out: io::BufWriter<io::StdoutLock<'static>>,
    page: Vec<Key>,
    widths: Vec<u16>,
    count: u64,
}

impl KeyList<'_> {
    /// Adds one key.
    pub fn push(&mut self, key: Key) -> Result<()> {
        if self.printer.is_json() {
            let lead = if self.count == 0 { "[\n" } else { ",\n" };
            self.printer
                .stdout(&format!("{lead}{}", json::item(&key)))?;
        } else {
            self.page.push(key);
            if self.page.len() == LIST_PAGE {
                self.flush_page()?;
            }
        }
        self.count += 1;
        Ok(())
    }

    fn flush_page(&mut self) -> Result<()> {
        let first = self.widths.is_empty();
        let text = table::key_page(&self.page, first, &mut self.widths, self.printer.color);
        self.page.clear();
        self.write(&text)
    }

    fn write(&mut self, text: &str) -> Result<()> {
        self.out.write_all(text.as_bytes()).map_err(write_error)
    }

    /// Ends the list.
    pub fn finish(mut self) -> Result<()> {
        if self.printer.is_json() {
            return self
                .printer
                .stdout(if self.count == 0 { "[]\n" } else { "\n]\n" });
        }
        if !self.page.is_empty() {
            self.flush_page()?;
        }
        if self.count == 0 {
            self.printer.note("No keys found.");
        }
        Ok(())
    }
}
