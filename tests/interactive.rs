//! keyadm on a real terminal: tmux runs it in a pseudo-terminal, `send-keys` types and
//! `capture-pane` reads the screen.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::{TestDb, binary};

static NEXT: AtomicUsize = AtomicUsize::new(0);

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// A private tmux server running one keyadm command.
struct Terminal {
    socket: String,
}

impl Terminal {
    fn start(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> Terminal {
        Terminal::start_sized(db, args, env, 150)
    }

    fn start_sized(db: &TestDb, args: &[&str], env: &[(&str, &str)], width: u16) -> Terminal {
        Terminal::start_after(db, args, env, width, "")
    }

    /// Runs the shell command `before` (ending in `;`) first, in the same terminal.
    fn start_after(
        db: &TestDb,
        args: &[&str],
        env: &[(&str, &str)],
        width: u16,
        before: &str,
    ) -> Terminal {
        let socket = format!(
            "keyadm-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let mut vars = vec![
            ("TERM", "xterm-256color".to_owned()),
            ("PATH", std::env::var("PATH").unwrap_or_default()),
            ("HOME", db.home.path().display().to_string()),
            ("KEYADM_DATABASE_URL", db.conninfo.clone()),
        ];
        vars.extend(env.iter().map(|(k, v)| (*k, (*v).to_owned())));
        // The shell outlives a Ctrl-C (its trap resets to the default action in keyadm) and
        // then reports keyadm's exit code and whether the terminal echoes.
        let mut line = format!("trap true INT; {before} env -i");
        for (name, value) in &vars {
            line.push_str(&format!(" {name}={}", quote(value)));
        }
        line.push_str(&format!(" {}", quote(binary().to_str().unwrap())));
        for arg in args {
            line.push_str(&format!(" {}", quote(arg)));
        }
        line.push_str(
            "; echo EXIT=$?; stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?echo' | sed 's/^/TTY=/'; sleep 60",
        );
        let status = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                &width.to_string(),
                "-y",
                "40",
                "-s",
                "t",
            ])
            .arg(&line)
            .status()
            .expect("tmux is needed for the terminal tests (apt-get install tmux)");
        assert!(status.success(), "tmux could not start");
        Terminal { socket }
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen, with colour escapes when `escapes`.
    fn screen(&self, escapes: bool) -> String {
        let mut args = vec!["capture-pane", "-p", "-t", "t"];
        if escapes {
            args.push("-e");
        }
        self.tmux(&args)
    }

    /// Waits until the screen shows `text`, and returns it.
    #[track_caller]
    fn wait_for(&self, text: &str) -> String {
        self.wait_until(
            &format!("{text:?}"),
            || self.screen(false),
            |screen| screen.contains(text),
        )
    }

    /// Waits until a line of the screen, with the lines the terminal wrapped joined up again,
    /// is `line` exactly (trailing blanks aside), and returns that joined screen.
    #[track_caller]
    fn wait_for_line(&self, line: &str) -> String {
        self.wait_until(
            &format!("the line {line:?}"),
            || self.joined_screen(),
            |screen| screen.lines().any(|shown| shown.trim_end() == line),
        )
    }

    /// Reads the screen with `read` until `shows` it right, for up to 15 seconds; `what` names
    /// what is waited for.
    #[track_caller]
    fn wait_until(
        &self,
        what: &str,
        read: impl Fn() -> String,
        shows: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let screen = read();
            if shows(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the terminal never showed {what}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The screen's lines, with the lines the terminal wrapped joined up again.
    fn joined_screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-J", "-t", "t"])
    }

    /// Everything the terminal showed, scrolled off or not, wrapped lines joined.
    fn history(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-J", "-S", "-", "-t", "t"])
    }

    /// Waits for the secret's prompt and for its terminal to stop echoing: turning echo off
    /// discards what was typed before (TCSAFLUSH, as getpass does), so keys pressed at the
    /// first sight of the prompt could be lost.
    #[track_caller]
    fn wait_for_secret_prompt(&self) {
        self.wait_for("Secret");
        self.wait_until(
            "echo turned off",
            || self.tty_settings(),
            |settings| settings.split_whitespace().any(|word| word == "-echo"),
        );
    }

    /// The terminal's settings, as `stty -a` prints them (`;` as white space).
    fn tty_settings(&self) -> String {
        let tty = self.tmux(&["display-message", "-p", "-t", "t", "#{pane_tty}"]);
        let out = Command::new("stty")
            .args(["-F", tty.trim(), "-a"])
            .output()
            .expect("stty runs");
        String::from_utf8_lossy(&out.stdout).replace(';', " ")
    }

    /// Types text literally.
    fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "t", "-l", text]);
    }

    /// Whether the terminal shows its cursor.
    fn cursor_shown(&self) -> bool {
        self.tmux(&["display-message", "-p", "-t", "t", "#{cursor_flag}"])
            .trim()
            == "1"
    }

    /// Where the cursor is: (column, row), from the top left.
    fn cursor(&self) -> (usize, usize) {
        let at = self.tmux(&[
            "display-message",
            "-p",
            "-t",
            "t",
            "#{cursor_x} #{cursor_y}",
        ]);
        let mut numbers = at.split_whitespace().map(|n| n.parse().unwrap());
        (numbers.next().unwrap(), numbers.next().unwrap())
    }

    /// Waits until the cursor is at `at`: (column, row).
    #[track_caller]
    fn wait_for_cursor(&self, at: (usize, usize)) {
        self.wait_until(
            &format!("the cursor at {at:?}"),
            || format!("{:?}", self.cursor()),
            |shown| shown == format!("{at:?}"),
        );
    }

    /// Presses a key (Enter, Tab, ...).
    fn press(&self, key: &str) {
        self.tmux(&["send-keys", "-t", "t", key]);
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

#[test]
fn create_asks_for_org_and_name_with_completion_and_validation() {
    let db = TestDb::new();
    db.create("acme-corp", "existing", &[]);
    let term = Terminal::start(&db, &["create"], &[]);
    term.wait_for("Org");
    term.type_text("acm");
    term.press("Tab");
    term.wait_for("acme-corp");
    term.press("Enter");
    term.wait_for("Key name");
    term.type_text(" padded");
    term.press("Enter");
    term.wait_for("white space");
    term.type_text("ci-new");
    term.press("Enter");
    let screen = term.wait_for("EXIT=0");
    assert!(screen.contains("Created key"), "{screen}");
    assert_eq!(
        db.scalar(
            "SELECT count(*) FROM keyadm.api_keys WHERE org = 'acme-corp' AND name = 'ci-new'"
        ),
        1
    );
}

#[test]
fn an_asked_for_value_is_edited_in_place_and_esc_or_ctrl_d_leaves_the_question() {
    let db = TestDb::new();
    let term = Terminal::start(&db, &["create"], &[]);
    term.wait_for("Org");
    // Typed out of order, mended with the arrow keys, Home and End; Ctrl-D on a line that
    // holds text is no end of input.
    term.type_text("cme-crp");
    term.press("Left");
    term.press("Left");
    term.type_text("o");
    term.press("Home");
    term.type_text("a");
    term.press("C-d");
    term.press("End");
    term.type_text("x");
    term.press("BSpace");
    term.press("Enter");
    term.wait_for("Key name");
    term.type_text(" padded");
    term.press("Enter");
    term.wait_for("error:");
    term.press("C-u");
    term.type_text("ci-new");
    term.press("Enter");
    let screen = term.wait_for("EXIT=0");
    assert!(
        screen.contains("Org: acme-corp") && screen.contains("Key name: ci-new"),
        "{screen}"
    );
    assert!(!screen.contains("error:"), "the error stayed: {screen}");
    assert_eq!(
        db.scalar(
            "SELECT count(*) FROM keyadm.api_keys WHERE org = 'acme-corp' AND name = 'ci-new'"
        ),
        1
    );

    for (key_name, flag, args) in [
        ("C-d", "--org", vec!["create"]),
        ("Escape", "--name", vec!["create", "--org", "acme"]),
    ] {
        let term = Terminal::start(&db, &args, &[]);
        term.wait_for(if flag == "--org" { "Org" } else { "Key name" });
        term.press(key_name);
        let screen = term.wait_for("EXIT=5");
        assert!(
            screen.contains(&format!("keyadm: error: no {flag} given; nothing changed"))
                && screen.contains(&format!("hint: give {flag} to skip the question")),
            "{key_name}: {screen}"
        );
    }
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.api_keys"), 1);
}

#[test]
fn a_value_longer_than_the_terminal_is_wide_is_edited_across_its_rows() {
    let db = TestDb::new();
    // "Key name: " takes 10 of the 24 columns: what is typed wraps onto a second row.
    let term = Terminal::start_sized(&db, &["create", "--org", "acme"], &[], 24);
    term.wait_for("Key name");
    // An error that wraps over three rows above the prompt.
    term.type_text(" padded-and-quite-long");
    term.press("Enter");
    term.wait_for("error:");
    term.type_text("something-long-to-clear-away");
    term.wait_for_line("Key name: something-long-to-clear-away");
    // Ctrl-U clears both rows.
    term.press("C-u");
    term.wait_for_line("Key name:");
    // A value that ends on the row's last column, then one character more.
    term.type_text("fills-the-row1");
    term.wait_for_line("Key name: fills-the-row1");
    term.press("Home");
    term.type_text("y");
    term.wait_for_line("Key name: yfills-the-row1");
    term.press("BSpace");
    term.wait_for_line("Key name: fills-the-row1");
    term.press("C-u");
    term.wait_for_line("Key name:");
    term.type_text("a-rather-long-name-xy");
    term.press("Home");
    term.type_text("z");
    term.press("End");
    term.press("BSpace");
    term.wait_for_line("Key name: za-rather-long-name-x");
    // From the second row back onto the first.
    for _ in 0..8 {
        term.press("Left");
    }
    term.type_text("q");
    let screen = term.wait_for_line("Key name: za-rather-lonqg-name-x");
    assert_drawn_once(&screen, "Key name");
    term.press("Enter");
    let screen = term.wait_for("EXIT=0");
    let joined = term.joined_screen();
    assert!(
        joined
            .lines()
            .any(|line| line.trim_end() == "Key name: za-rather-lonqg-name-x"),
        "{joined}"
    );
    assert!(screen.contains("Created key"), "{screen}");
    assert!(!joined.contains("error:"), "the error stayed:\n{joined}");
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE name = 'za-rather-lonqg-name-x'"),
        1
    );
}

/// Fails unless the prompt `lead` shows on one line of `screen` only.
#[track_caller]
fn assert_drawn_once(screen: &str, lead: &str) {
    let prompts = screen.lines().filter(|line| line.contains(lead)).count();
    assert_eq!(prompts, 1, "the value was drawn more than once:\n{screen}");
}

#[test]
fn a_wide_character_at_a_row_end_moves_to_the_next_row_and_the_cursor_with_it() {
    let db = TestDb::new();
    // "Key name: " and 13 letters take 23 of the 24 columns: a two-column character does
    // not fit in the last one, so the terminal draws it at the start of the next row.
    let term = Terminal::start_sized(&db, &["create", "--org", "acme"], &[], 24);
    term.wait_for("Key name");
    let (_, top) = term.cursor();
    term.type_text("abcdefghijklm界");
    // The cursor follows the character, and goes before it at its row's start.
    term.wait_for_cursor((2, top + 1));
    term.press("Left");
    term.wait_for_cursor((0, top + 1));
    // The second row filled to its last column, then one more: the rows keyadm counts are
    // the rows drawn, so the line is redrawn in place, once.
    term.press("End");
    term.type_text(&"x".repeat(22));
    term.type_text("y");
    term.wait_for_cursor((1, top + 2));
    term.press("BSpace");
    term.press("BSpace");
    term.wait_for_cursor((23, top + 1));
    let screen = term.screen(false);
    assert_drawn_once(&screen, "Key name");
    term.press("Enter");
    term.wait_for("EXIT=0");
    let name = format!("abcdefghijklm界{}", "x".repeat(21));
    assert_eq!(
        db.scalar(&format!(
            "SELECT count(*) FROM keyadm.api_keys WHERE name = '{name}'"
        )),
        1
    );
}

#[test]
fn revoke_asks_naming_the_key_and_defaults_to_no() {
    let db = TestDb::new();
    let key = db.create("acme", "ci", &[]).key;
    let term = Terminal::start(&db, &["revoke", &key.start], &[]);
    let screen = term.wait_for("[y/N]");
    assert!(
        screen.contains(&format!("{} (acme/ci)", key.start)),
        "{screen}"
    );
    term.press("Enter");
    term.wait_for("EXIT=5");
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE revoked_at IS NOT NULL"),
        0
    );

    // The end of input (Ctrl-D), Esc and q are no answers either, never a question left open.
    for key_name in ["C-d", "Escape", "q"] {
        let term = Terminal::start(&db, &["revoke", &key.start], &[]);
        term.wait_for("[y/N]");
        term.press(key_name);
        let screen = term.wait_for("EXIT=5");
        assert!(
            screen.contains("(acme/ci)? no") && screen.contains("not confirmed; nothing changed"),
            "{key_name}: {screen}"
        );
        assert!(term.cursor_shown(), "{key_name}: the cursor stayed hidden");
    }
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE revoked_at IS NOT NULL"),
        0
    );

    let term = Terminal::start(&db, &["revoke", &key.start], &[]);
    term.wait_for("[y/N]");
    term.type_text("y");
    let screen = term.wait_for("EXIT=0");
    assert!(screen.contains("(acme/ci)? yes"), "{screen}");
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE revoked_at IS NOT NULL"),
        1
    );
}

#[test]
fn revoke_all_revokes_the_keys_it_asked_about_not_one_created_while_it_waited() {
    let db = TestDb::new();
    let old = db.create("acme", "old", &[]).key;
    let other = db.create("other", "keep", &[]).key;
    let term = Terminal::start(&db, &["revoke", "--org", "acme", "--all"], &[]);
    term.wait_for("Revoke all 1 unrevoked key(s) of org \"acme\"? [y/N]");
    // A replacement made while the operator reads the question was not asked about.
    let newer = db.create("acme", "replacement", &[]).key;
    term.type_text("y");
    let screen = term.wait_for("EXIT=0");
    let joined = term.joined_screen();
    assert!(
        joined.contains(
            "keyadm: warning: 1 key(s) of org \"acme\" created since keyadm counted the keys \
             were left unrevoked; run the command again to revoke them too"
        ),
        "{screen}"
    );
    assert!(screen.contains(&old.start), "{screen}");
    assert!(!screen.contains(&newer.start), "{screen}");
    let revoked = |id: &str| {
        db.scalar(&format!(
            "SELECT count(*) FROM keyadm.api_keys WHERE id = '{id}' AND revoked_at IS NOT NULL"
        ))
    };
    assert_eq!(
        (revoked(&old.id), revoked(&newer.id), revoked(&other.id)),
        (1, 0, 0)
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.key_events WHERE action = 'revoked'"),
        1
    );

    // Run again, it takes the replacement too, and says nothing more.
    let out = db
        .keyadm(&["revoke", "--org", "acme", "--all", "--yes"])
        .run()
        .success();
    assert!(out.stdout.contains(&newer.start), "{}", out.stdout);
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    assert_eq!(revoked(&newer.id), 1);
}
#[test]
fn tables_on_a_terminal_have_colour_and_relative_times() {
    let db = TestDb::new();
    db.create("acme", "soon", &["--expires-in", "6d 1h"]);
    let revoked = db.create("acme", "gone", &[]).key;
    db.keyadm(&["revoke", &revoked.id, "--yes"]).run().success();

    let term = Terminal::start(&db, &["list", "--status", "all"], &[]);
    let screen = term.wait_for("EXIT=0");
    assert!(
        screen.contains("in 6d") && screen.contains("just now"),
        "{screen}"
    );
    let colored = term.screen(true);
    assert!(
        colored.contains("\u{1b}["),
        "no colour on a terminal:\n{colored}"
    );

    let plain = Terminal::start(&db, &["list", "--status", "all"], &[("NO_COLOR", "1")]);
    plain.wait_for("EXIT=0");
    let text = plain.screen(true);
    assert!(
        !text.contains("\u{1b}[3"),
        "colour despite NO_COLOR:\n{text}"
    );
    assert!(text.contains("in 6d"), "{text}");
}

#[test]
fn check_on_a_terminal_asks_for_the_secret_without_echo() {
    let db = TestDb::new();
    let key = db.create("acme", "ci", &[]);
    let term = Terminal::start(&db, &["check"], &[]);
    term.wait_for_secret_prompt();
    term.type_text(&key.secret);
    term.press("Enter");
    let screen = term.wait_for("EXIT=0");
    assert!(screen.contains("valid: "), "{screen}");
    assert!(
        !screen.contains(&key.secret[3..]),
        "the secret was echoed:\n{screen}"
    );
}

#[test]
fn check_batch_on_a_terminal_asks_for_each_secret_without_echo_and_answers_it_at_once() {
    let db = TestDb::new();
    let key = db.create("acme", "ci", &[]);
    let term = Terminal::start(&db, &["check", "--batch"], &[]);
    term.wait_for_secret_prompt();
    term.type_text(&key.secret);
    term.press("Enter");
    term.wait_for(&format!("valid: {} (acme/ci)", key.key.start));
    // Asked again, without echo again.
    term.wait_for_secret_prompt();
    term.type_text("not-a-key");
    term.press("Enter");
    term.wait_for("invalid (malformed)");
    term.wait_for_secret_prompt();
    term.press("C-d");
    let screen = term.wait_for("TTY=");
    assert!(screen.contains("EXIT=1"), "{screen}");
    assert!(
        !screen.contains(&key.secret[3..]) && !screen.contains("not-a-key"),
        "a secret was echoed:\n{screen}"
    );
    assert!(!screen.contains("checked"), "{screen}");

    // Nothing given: nothing to check.
    let term = Terminal::start(&db, &["check", "--batch"], &[]);
    term.wait_for_secret_prompt();
    term.press("Enter");
    let screen = term.wait_for("TTY=");
    assert!(
        screen.contains("keyadm: warning: no secret was given: there was nothing to check")
            && screen.contains("EXIT=0"),
        "{screen}"
    );

    // Under --no-input nothing is asked: typed lines are read as from a pipe, each answered
    // as it comes, with no counter among them.
    let term = Terminal::start(&db, &["check", "--batch", "--no-input"], &[]);
    term.type_text(&key.secret);
    term.press("Enter");
    term.wait_for(&format!("valid: {} (acme/ci)", key.key.start));
    term.press("C-d");
    let screen = term.wait_for("TTY=");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(
        !screen.contains("Secret") && !screen.contains("checked"),
        "{screen}"
    );
}

#[test]
fn an_empty_answer_to_the_secret_prompt_ends_check() {
    let db = TestDb::new();
    // Ctrl-D, the end of input, and Enter alike: the prompt does not ask again.
    for key in ["C-d", "Enter"] {
        let term = Terminal::start(&db, &["check"], &[]);
        term.wait_for_secret_prompt();
        term.press(key);
        let screen = term.wait_for("TTY=");
        assert!(
            screen.contains("keyadm: error: no secret given") && screen.contains("EXIT=2"),
            "{key}:\n{screen}"
        );
    }
}

#[test]
fn tables_fit_a_narrow_terminal() {
    let db = TestDb::new();
    db.create(
        "a-rather-long-organisation-name",
        "an-even-longer-key-name-for-wrapping",
        &[],
    );
    let term = Terminal::start_sized(&db, &["list"], &[], 60);
    term.wait_for("EXIT=0");
    // -J joins lines the terminal wrapped: any line over 60 columns was not fitted by keyadm.
    let joined = term.joined_screen();
    assert!(joined.contains("START"), "{joined}");
    for line in joined.lines() {
        assert!(
            line.chars().count() <= 60,
            "line wider than the terminal:\n{joined}"
        );
    }
}

#[test]
fn a_terminal_without_a_size_gets_the_table_unwrapped() {
    let db = TestDb::new();
    db.create("acme", "ci-deploy", &[]);
    // A pseudo-terminal whose size was never set says 0 columns (script, docker run -t).
    let term = Terminal::start_after(&db, &["list"], &[], 150, "stty cols 0 rows 0;");
    let screen = term.wait_for("EXIT=0");
    let header = screen.lines().find(|line| line.starts_with("START"));
    assert_eq!(
        header
            .map(str::split_whitespace)
            .map(Iterator::collect::<Vec<_>>),
        Some(vec!["START", "ORG", "NAME", "STATUS", "CREATED", "EXPIRES"]),
        "{screen}"
    );
    assert!(screen.contains("acme  ci-deploy"), "{screen}");
}

#[test]
fn ctrl_c_at_a_question_aborts_and_gives_the_terminal_back() {
    let db = TestDb::new();
    let key = db.create("acme", "ci", &[]).key;

    // A yes/no question hides the cursor.
    let term = Terminal::start(&db, &["revoke", &key.start], &[]);
    term.wait_for("[y/N]");
    term.press("C-c");
    let screen = term.wait_for("TTY=");
    assert!(
        screen.contains("keyadm: error: interrupted; nothing changed") && screen.contains("EXIT=5"),
        "{screen}"
    );
    assert!(term.cursor_shown(), "the cursor stayed hidden:\n{screen}");
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE revoked_at IS NOT NULL"),
        0
    );

    // The secret's prompt turns echo off.
    let term = Terminal::start(&db, &["check"], &[]);
    term.wait_for_secret_prompt();
    term.press("C-c");
    let screen = term.wait_for("TTY=");
    assert!(screen.contains("EXIT=5"), "{screen}");
    assert!(
        screen.contains("TTY=echo"),
        "the terminal was left without echo:\n{screen}"
    );

    // A value asked for.
    let term = Terminal::start(&db, &["create", "--org", "acme"], &[]);
    term.wait_for("Key name");
    term.type_text("half");
    term.press("C-c");
    let screen = term.wait_for("TTY=");
    assert!(
        screen.contains("EXIT=5") && screen.contains("hint: give --name to skip the question"),
        "{screen}"
    );
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.api_keys"), 1);
}

#[test]
fn ctrl_c_while_a_change_waits_says_it_is_cancelling_then_how_it_ended() {
    let db = TestDb::new();
    let key = db.create("acme", "ci", &[]).key;
    let mut holder = db.hold_key_locks();
    let term = Terminal::start(
        &db,
        &["revoke", &key.start, "--yes"],
        &[("PGAPPNAME", "keyadm-tty-cancel")],
    );
    crate::faults::wait_until_blocked(&db, "keyadm-tty-cancel");
    term.press("C-c");
    let screen = term.wait_for("TTY=");
    assert!(
        screen.contains("keyadm: cancelling the running statement (Ctrl-C again quits at once)")
            && screen.contains("keyadm: error: interrupted; nothing changed")
            && screen.contains("EXIT=5"),
        "{screen}"
    );
    holder.batch_execute("ROLLBACK").unwrap();
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE revoked_at IS NOT NULL"),
        0
    );
}

/// Makes every insert into the log wait, once `after` events of `action` are there, for an
/// advisory lock that the returned session holds: a sweep stops between two batches, until
/// `pg_advisory_unlock_all()` lets it go on.
fn hold_events_after(db: &TestDb, action: &str, after: i64) -> postgres::Client {
    let mut holder = db.client();
    holder
        .batch_execute(&format!(
            "CREATE OR REPLACE FUNCTION keyadm.test_hold() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 IF (SELECT count(*) FROM keyadm.key_events WHERE action = '{action}') >= {after} THEN
                     PERFORM pg_advisory_xact_lock(4242);
                 END IF;
                 RETURN NULL;
             END $$;
             CREATE OR REPLACE TRIGGER test_hold BEFORE INSERT ON keyadm.key_events
                 FOR EACH STATEMENT EXECUTE FUNCTION keyadm.test_hold();
             SELECT pg_advisory_lock(4242);"
        ))
        .unwrap();
    holder
}

/// The last line of a screen that is not blank.
fn last_line(screen: &str) -> &str {
    screen
        .lines()
        .rfind(|line| !line.trim().is_empty())
        .unwrap_or("")
}

#[test]
fn a_sweeps_progress_bar_stays_below_its_report_and_is_gone_at_the_end() {
    let db = TestDb::new();
    crate::expire::seed_old_keys(&db, 1500);
    let mut holder = hold_events_after(&db, "expired", 1000);
    let term = Terminal::start(
        &db,
        &["expire", "--older-than", "30d", "--yes"],
        &[("PGAPPNAME", "keyadm-tty-bar")],
    );
    crate::faults::wait_until_blocked(&db, "keyadm-tty-bar");
    // Between the batches: the first one's 1,000 rows are out, and the bar is below them.
    let screen = term.wait_until(
        "the bar below the first batch's rows",
        || term.screen(false),
        |screen| last_line(screen).contains(" 1000/1500 ("),
    );
    assert!(last_line(&screen).starts_with("expiring "), "{screen}");
    let history = term.history();
    let rows = |text: &str| text.lines().filter(|l| l.contains("  bulk  k")).count();
    assert_eq!(rows(&history), 1000, "{history}");
    holder
        .batch_execute("SELECT pg_advisory_unlock_all()")
        .unwrap();
    term.wait_for("EXIT=0");
    // Each key's row once, the summary, and no bar left anywhere among them.
    let history = term.history();
    assert_eq!(rows(&history), 1500, "{history}");
    assert!(history.contains("Set to expire: 1500 key(s)."), "{history}");
    assert!(!history.contains("expiring "), "{history}");

    // --quiet draws no bar, and a change's report is left out.
    db.client()
        .batch_execute("UPDATE keyadm.api_keys SET expires_at = NULL")
        .unwrap();
    let mut holder = hold_events_after(&db, "expired", 2500);
    let term = Terminal::start(
        &db,
        &["expire", "--older-than", "30d", "--yes", "--quiet"],
        &[("PGAPPNAME", "keyadm-tty-quiet")],
    );
    crate::faults::wait_until_blocked(&db, "keyadm-tty-quiet");
    let screen = term.screen(false);
    assert!(
        !screen.contains("expiring") && !screen.contains("bulk"),
        "{screen}"
    );
    holder
        .batch_execute("SELECT pg_advisory_unlock_all()")
        .unwrap();
    let screen = term.wait_for("EXIT=0");
    assert!(
        !screen.contains("expiring") && !screen.contains("bulk"),
        "{screen}"
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.key_events WHERE action = 'expired'"),
        3000
    );
}

#[test]
fn check_batchs_counter_stays_below_its_results_and_is_gone_at_the_end() {
    let db = TestDb::new();
    let created = db.create("acme", "ci", &[]);
    // A first chunk of lines that need no database, then one that waits on a lock.
    let mut input = "not-a-key\n".repeat(1000);
    input.push_str(&format!("{}\n", created.secret).repeat(10));
    let file = db.home.path().join("secrets.txt");
    std::fs::write(&file, input).unwrap();
    let mut holder = db.client();
    holder
        .batch_execute("BEGIN; LOCK TABLE keyadm.api_keys IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let term = Terminal::start_after(
        &db,
        &["check", "--batch"],
        &[("PGAPPNAME", "keyadm-tty-counter")],
        150,
        &format!("exec < {};", quote(file.to_str().unwrap())),
    );
    crate::faults::wait_until_blocked(&db, "keyadm-tty-counter");
    let screen = term.wait_until(
        "the counter below the first chunk's results",
        || term.screen(false),
        |screen| last_line(screen).ends_with("checked 1000"),
    );
    let results =
        |text: &str, result: &str| text.lines().filter(|l| l.trim_end() == result).count();
    let history = term.history();
    assert_eq!(results(&history, "invalid (malformed)"), 1000, "{screen}");
    holder.batch_execute("ROLLBACK").unwrap();
    term.wait_for("EXIT=");
    let history = term.history();
    assert_eq!(results(&history, "invalid (malformed)"), 1000, "{history}");
    assert_eq!(
        results(&history, &format!("valid: {} (acme/ci)", created.key.start)),
        10,
        "{history}"
    );
    assert!(!history.contains("checked"), "{history}");
    assert!(history.contains("EXIT=1"), "{history}");
}
