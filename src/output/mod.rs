//! The only place that writes to stdout and stderr. Commands return values; this module
//! renders them as tables for people or JSON for scripts.

mod json;
mod progress;
mod table;
mod visible;

use std::io::{self, IsTerminal, Write};
use std::path::Path;

use crate::cli::{ColorChoice, Format};
use crate::error::{Error, Result};
use serde::Serialize;

use visible::visible;

use crate::model::{
    CheckOutcome, CheckReason, DoctorReport, Event, InitReport, Key, KeyDetail, KeyStatus,
    MigrationState, RevokeOutcome, Rotation, SweepKind, UpdateOutcome,
};

pub use progress::Progress;

/// Keys rendered per table page when listing (bounded memory, aligned columns).
const LIST_PAGE: usize = 500;

/// Renders results and errors in the chosen format.
#[derive(Debug, Clone)]
pub struct Printer {
    format: Format,
    quiet: bool,
    style: table::Style,
}

fn write_error(err: io::Error) -> Error {
    if err.kind() == io::ErrorKind::BrokenPipe {
        Error::BrokenPipe
    } else {
        Error::failure(format!("cannot write output: {err}"))
    }
}

/// The end of `create`'s and `rotate`'s text: the secret, or where it was written.
fn secret_text(secret: &str, secret_file: Option<&Path>) -> String {
    match secret_file {
        Some(path) => format!("\nSecret written to {} (mode 0600).\n", path.display()),
        None => format!("\nSecret (shown only this once; store it now):\n\n    {secret}\n\n"),
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
        // The tables' colours are drawn by crossterm, which drops them under NO_COLOR by itself
        // (leaving the codes that reset them): `--color always` outranks the variable.
        crossterm::style::force_color_output(color);
        let style = table::Style {
            color,
            relative: io::stdout().is_terminal(),
        };
        Printer {
            format,
            quiet,
            style,
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

    /// Whether `--quiet` was given: notes and warnings are not printed.
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// A warning on stderr (not with --quiet).
    pub fn warning(&self, text: &str) {
        if !self.quiet {
            let _ = writeln!(io::stderr().lock(), "keyadm: warning: {}", visible(text));
        }
    }

    /// An error on stderr: one line with a hint line, or a JSON object under --format json.
    pub fn error(&self, err: &Error) {
        let mut stderr = io::stderr().lock();
        if self.is_json() {
            let _ = writeln!(stderr, "{}", json::error(err));
            return;
        }
        // Messages quote stored names and the server's words: shown, not obeyed.
        let _ = writeln!(stderr, "keyadm: error: {}", visible(&err.to_string()));
        if let Some(hint) = err.hint() {
            let _ = writeln!(stderr, "hint: {}", visible(&hint));
        }
    }

    /// Ctrl-C at a question: the cursor shown again (a yes/no question hides it), the line
    /// ended, then the error.
    pub fn interrupted(&self, err: &Error) {
        let _ = writeln!(io::stderr().lock(), "\x1b[?25h");
        self.error(err);
    }

    /// Ctrl-C while a statement runs: the cancel request is on its way (said on a terminal
    /// only, not with --quiet; the outcome follows as usual).
    pub fn cancelling(&self) {
        if !self.quiet && io::stderr().is_terminal() {
            let _ = writeln!(
                io::stderr().lock(),
                "keyadm: cancelling the running statement (Ctrl-C again quits at once)"
            );
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
            visible(&key.start),
            visible(&key.org),
            visible(&key.name)
        );
        text.push_str(&table::key_fields(key, self.style));
        text.push_str(&secret_text(secret, secret_file));
        self.stdout(&text)
    }

    /// `rotate`: the successor's secret, shown once (or where it was written), and what
    /// happens to the old key.
    pub fn rotated(
        &self,
        rotation: &Rotation,
        secret: &str,
        secret_file: Option<&Path>,
    ) -> Result<()> {
        let shown = secret_file.is_none().then_some(secret);
        if self.is_json() {
            return self.line(&json::rotated(rotation, shown, secret_file));
        }
        if self.quiet {
            return match shown {
                Some(secret) => self.line(secret),
                None => Ok(()),
            };
        }
        let old = &rotation.predecessor;
        let new = &rotation.successor;
        // With no grace the old key's expiry is the rotation's own time: it already fails.
        let until = match (&old.expires_at, old.status) {
            (_, KeyStatus::Expired | KeyStatus::Revoked) => "no longer works".to_owned(),
            (Some(at), KeyStatus::Active) => format!("stays valid until {} UTC", table::time(at)),
            (None, KeyStatus::Active) => "never expires".to_owned(),
        };
        let mut text = format!(
            "Rotated {} to {}; the old key {until}.\n\n",
            visible(&old.label()),
            visible(&new.start)
        );
        text.push_str(&table::key_fields(new, self.style));
        text.push_str(&secret_text(secret, secret_file));
        self.stdout(&text)
    }

    /// After a rotation whose successor expires before the key it replaces (a short
    /// `--expires-in` with a long `--grace`): worth a word, since the old key then outlives it.
    pub fn successor_expires_first(&self, rotation: &Rotation) {
        if let (Some(new), Some(old)) = (
            rotation.successor.expires_at,
            rotation.predecessor.expires_at,
        ) && new < old
        {
            self.warning(&format!(
                "the new key expires at {} UTC, before the old one ({} UTC): after that only the old key works",
                table::time(&new),
                table::time(&old)
            ));
        }
    }

    /// After a revocation: a key that the revoked one replaced by rotation still works, in
    /// its grace, with a secret of its own (which may be the one that leaked).
    pub fn predecessor_still_works(&self, revoked: &Key, predecessor: &Key) {
        let until = match &predecessor.expires_at {
            Some(at) => format!("until {} UTC", table::time(at)),
            None => "with no expiry".to_owned(),
        };
        self.warning(&format!(
            "{}, an earlier key of {}'s rotation, still works {until}: if its secret may have leaked too, `keyadm revoke {}`",
            predecessor.label(),
            revoked.start,
            predecessor.start
        ));
    }

    /// `show`.
    pub fn detail(&self, detail: &KeyDetail) -> Result<()> {
        if self.is_json() {
            self.line(&json::detail(detail))
        } else {
            self.stdout(&table::detail(detail, self.style))
        }
    }

    /// A stream's summary that writes no last line, and says `note` on stderr when the stream
    /// had no rows.
    fn note_when_empty(&self, note: &'static str) -> Box<dyn Fn(u64) -> Option<String> + '_> {
        let printer = self.clone();
        Box::new(move |count| {
            if count == 0 {
                printer.note(note);
            }
            None
        })
    }

    /// Starts a streamed list of keys (`list`).
    pub fn key_list(&self) -> Stream<'_, Key> {
        let mut stream = Stream::new(self, table::key_page);
        stream.summary = self.note_when_empty("No keys found.");
        stream
    }

    /// Starts the report of `expire` or `prune`: the keys acted on, then a count.
    pub fn sweep(&self, kind: SweepKind, dry_run: bool) -> Stream<'_, Key> {
        let mut stream = Stream::new(self, table::key_page);
        let action = match kind {
            SweepKind::Expire => "expire",
            SweepKind::Prune => "prune",
        };
        stream.json_open = format!("{{\"action\":\"{action}\",\"dry_run\":{dry_run},\"keys\":[");
        stream.json_close = |count| format!("],\"count\":{count}}}");
        // A dry run's report is what was asked for.
        stream.hide_rows = self.quiet && !dry_run;
        stream.summary = Box::new(move |count| {
            let verb = match (kind, dry_run) {
                (SweepKind::Expire, false) => "Set to expire",
                (SweepKind::Expire, true) => "Would set to expire",
                (SweepKind::Prune, false) => "Deleted",
                (SweepKind::Prune, true) => "Would delete",
            };
            Some(format!("{verb}: {count} key(s)."))
        });
        stream
    }

    /// Starts a streamed list of events (`audit`).
    pub fn event_list(&self) -> Stream<'_, Event> {
        let mut stream = Stream::new(self, table::event_page);
        stream.summary = self.note_when_empty("No events found.");
        stream
    }

    /// Starts the results of `check --batch`.
    pub fn batch_results(&self) -> BatchResults<'_> {
        BatchResults {
            printer: self,
            out: io::BufWriter::new(io::stdout().lock()),
        }
    }

    /// `create --count N`: one line per key, written as each chunk is stored.
    pub fn created_keys(&self) -> CreatedKeys<'_> {
        CreatedKeys {
            printer: self,
            out: io::BufWriter::new(io::stdout().lock()),
        }
    }

    /// `update`: the key as it is now and what changed.
    pub fn updated(&self, outcome: &UpdateOutcome) -> Result<()> {
        if self.is_json() {
            return self.line(&json::updated(outcome));
        }
        if self.quiet {
            return Ok(());
        }
        let mut text = if outcome.changes.is_empty() {
            format!("No changes to {}.\n\n", visible(&outcome.key.label()))
        } else {
            let fields: Vec<&str> = outcome.changes.keys().map(String::as_str).collect();
            format!(
                "Updated {}: {}.\n\n",
                visible(&outcome.key.label()),
                fields.join(", ")
            )
        };
        text.push_str(&table::key_fields(&outcome.key, self.style));
        self.stdout(&text)
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
            text.push_str(&revoked_line(verb, &outcome.key));
        }
        if self.quiet {
            Ok(())
        } else {
            self.stdout(&text)
        }
    }

    /// Starts the report of `revoke --org ORG --all`, the keys written as they come: the same
    /// lines (a JSON array) as [`Printer::revoked`] writes, in memory that does not grow with
    /// the org.
    pub fn revoked_stream(&self) -> Stream<'_, Key> {
        let mut stream = Stream::new(self, |keys, _, _, _| {
            keys.iter()
                .map(|key| revoked_line("Revoked", key))
                .collect()
        });
        stream.hide_rows = self.quiet;
        stream.summary = self.note_when_empty("No keys to revoke.");
        stream
    }

    /// `check`.
    pub fn check(&self, outcome: &CheckOutcome) -> Result<()> {
        if self.is_json() {
            return self.line(&json::check(outcome));
        }
        if self.quiet {
            return Ok(());
        }
        self.line(&check_line(outcome))
    }

    /// `init`.
    pub fn init_report(&self, report: &InitReport) -> Result<()> {
        if self.is_json() {
            return self.line(&json::item(report));
        }
        if self.quiet {
            return Ok(());
        }
        let mut text = if report.applied.is_empty() {
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
        if let Some(role) = &report.granted_verify {
            text.push_str(&format!(
                "\nRole \"{role}\" may now call verify_key, verify_key_hash and record_key_use."
            ));
        }
        self.line(&text)
    }

    /// After `init --grant-verify ROLE` for a role that can do more than verify keys: the
    /// grant cannot keep it to that, and the operator who asked for it should know.
    pub fn verify_role_not_kept(&self, report: &InitReport) {
        let (Some(role), false) = (
            &report.granted_verify,
            report.verify_role_also_has.is_empty(),
        ) else {
            return;
        };
        if report.verify_role_also_has == ["superuser"] {
            self.warning(&format!(
                "role \"{role}\" is a superuser: it can read hashes and list keys whatever it is granted; give the service a role of its own"
            ));
        } else {
            self.warning(&format!(
                "role \"{role}\" also has {}: it is not kept to verifying keys (revoke that, or the role membership that gives it)",
                report.verify_role_also_has.join("; ")
            ));
        }
    }

    /// `doctor`.
    pub fn doctor(&self, report: &DoctorReport) -> Result<()> {
        if self.is_json() {
            self.line(&json::item(report))
        } else {
            self.stdout(&table::doctor(report))
        }
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

/// One line of a revoke's report: `Revoked sk_... (org/name)`.
fn revoked_line(verb: &str, key: &Key) -> String {
    format!("{verb} {}\n", visible(&key.label()))
}

/// Renders one table page of a stream: rows, whether to print the header, the column widths
/// the first page fixed, and the style.
type PageRenderer<T> = fn(&[T], bool, &mut Vec<u16>, table::Style) -> String;

/// Rows written as they arrive from the database, through one buffer: a JSON array (or an
/// object around one), or table pages that keep the first page's column widths.
pub struct Stream<'a, T: Serialize> {
    printer: &'a Printer,
    out: io::BufWriter<io::StdoutLock<'static>>,
    page: Vec<T>,
    widths: Vec<u16>,
    count: u64,
    render_page: PageRenderer<T>,
    /// Before the first JSON element, e.g. `[` or `{"action":"expire",...,"keys":[`.
    json_open: String,
    /// After the last JSON element, given the count.
    json_close: fn(u64) -> String,
    /// A table's last line, given the count.
    summary: Box<dyn Fn(u64) -> Option<String> + 'a>,
    /// Whether the table's rows and summary are left out: those of a change's report under
    /// `--quiet` (not those of a listing or a dry run, which are what was asked for).
    hide_rows: bool,
}

impl<'a, T: Serialize> Stream<'a, T> {
    fn new(printer: &'a Printer, render_page: PageRenderer<T>) -> Stream<'a, T> {
        Stream {
            printer,
            out: io::BufWriter::new(io::stdout().lock()),
            page: Vec::new(),
            widths: Vec::new(),
            count: 0,
            render_page,
            json_open: "[".into(),
            json_close: |_| "]".into(),
            summary: Box::new(|_| None),
            hide_rows: false,
        }
    }

    /// Adds one row.
    pub fn push(&mut self, item: T) -> Result<()> {
        if self.printer.is_json() {
            let lead = if self.count == 0 {
                format!("{}\n", self.json_open)
            } else {
                ",\n".into()
            };
            self.write(&lead)?;
            self.write(&json::item(&item))?;
        } else if !self.hide_rows {
            self.page.push(item);
            if self.page.len() == LIST_PAGE {
                self.flush_page()?;
            }
        }
        self.count += 1;
        Ok(())
    }

    fn flush_page(&mut self) -> Result<()> {
        let first = self.widths.is_empty();
        let text = (self.render_page)(&self.page, first, &mut self.widths, self.printer.style);
        self.page.clear();
        self.write(&text)
    }

    fn write(&mut self, text: &str) -> Result<()> {
        self.out.write_all(text.as_bytes()).map_err(write_error)
    }

    /// Writes out what has been pushed and rendered so far (a table's rows are rendered a
    /// page at a time, for their column widths).
    pub fn flush(&mut self) -> Result<()> {
        self.out.flush().map_err(write_error)
    }

    /// Ends the stream; returns how many items it had.
    pub fn finish(mut self) -> Result<u64> {
        if self.printer.is_json() {
            let open = if self.count == 0 {
                self.json_open.clone()
            } else {
                "\n".into()
            };
            let close = (self.json_close)(self.count);
            self.write(&format!("{open}{close}\n"))?;
        } else {
            if !self.page.is_empty() {
                self.flush_page()?;
            }
            if let Some(summary) = (self.summary)(self.count)
                && !self.hide_rows
            {
                self.write(&format!("{summary}\n"))?;
            }
        }
        self.out.flush().map_err(write_error)?;
        Ok(self.count)
    }
}

/// `check --batch`: one result per input line, in order.
pub struct BatchResults<'a> {
    printer: &'a Printer,
    out: io::BufWriter<io::StdoutLock<'static>>,
}

impl BatchResults<'_> {
    /// Writes the result for the next line.
    pub fn push(&mut self, outcome: &CheckOutcome) -> Result<()> {
        let line = if self.printer.is_json() {
            json::check(outcome)
        } else if self.printer.quiet {
            return Ok(());
        } else {
            check_line(outcome)
        };
        self.out
            .write_all(line.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(write_error)
    }

    /// Writes out the results pushed so far.
    pub fn flush(&mut self) -> Result<()> {
        self.out.flush().map_err(write_error)
    }

    /// Ends the results.
    pub fn finish(mut self) -> Result<()> {
        self.out.flush().map_err(write_error)
    }
}

/// The keys of `create --count N`, one line each: a JSON object (as `create --json` prints),
/// under `--quiet` only the secret, else the key's label and its secret.
pub struct CreatedKeys<'a> {
    printer: &'a Printer,
    out: io::BufWriter<io::StdoutLock<'static>>,
}

impl CreatedKeys<'_> {
    /// Writes one created key; `secret` is `None` when it went to `--secret-file`.
    pub fn push(
        &mut self,
        key: &Key,
        secret: Option<&str>,
        secret_file: Option<&Path>,
    ) -> Result<()> {
        let line = if self.printer.is_json() {
            json::created(key, secret, secret_file)
        } else if self.printer.quiet {
            match secret {
                Some(secret) => secret.to_owned(),
                None => return Ok(()),
            }
        } else {
            match secret {
                Some(secret) => format!("{}  {secret}", key.label()),
                None => key.label(),
            }
        };
        self.out
            .write_all(line.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(write_error)
    }

    /// Flushes what is buffered (before the keys are committed).
    pub fn flush(&mut self) -> Result<()> {
        self.out.flush().map_err(write_error)
    }

    /// Ends the list with a note for people on stderr.
    pub fn finish(mut self, count: u64, secret_file: Option<&Path>) -> Result<()> {
        self.flush()?;
        match secret_file {
            Some(path) => self.printer.note(&format!(
                "Created {count} keys; their secrets are in {} (mode 0600), one per line, in this order.",
                path.display()
            )),
            None => self.printer.note(&format!(
                "Created {count} keys; their secrets are shown only this once: store them now."
            )),
        }
        Ok(())
    }
}

fn check_line(outcome: &CheckOutcome) -> String {
    let subject = outcome
        .key
        .as_ref()
        .map(|key| visible(&key.label()).into_owned());
    // A key that a rotation replaced works only for its grace: whoever holds it should move
    // to the new one. Said of a key that still works, or that fails only for expiring soon.
    let working = outcome.valid || outcome.reason == CheckReason::Expiring;
    let rotated = match &outcome.key {
        Some(key) if working && key.rotated_to.is_some() => match &key.expires_at {
            Some(at) => format!(", rotated: it stops working {} UTC", table::time(at)),
            None => ", rotated".to_owned(),
        },
        _ => String::new(),
    };
    match (outcome.valid, subject) {
        (true, Some(subject)) => format!("valid: {subject}{rotated}"),
        (false, Some(subject)) => {
            format!("invalid ({}): {subject}{rotated}", outcome.reason.as_str())
        }
        (_, None) => format!("invalid ({})", outcome.reason.as_str()),
    }
}
