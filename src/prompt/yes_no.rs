//! A yes/no question answered by one key.

use console::{Key, Term};

/// Asks `question` on the terminal, answered by one key, drawn as dialoguer's `Confirm` draws
/// it (`question [y/N] `, then `question yes` or `no`). `Confirm` ignores Ctrl-D, Esc and
/// `q`; here they answer no, as Enter does, since the end of input is not a yes.
pub fn yes_or_no(question: &str) -> std::io::Result<bool> {
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
