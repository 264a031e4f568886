//! One line of text typed at a prompt, with Tab completion, drawn as dialoguer's `Input` draws
//! it (`Prompt: `, then `Prompt: value`; an invalid value shows `error: why` above the prompt
//! asked again). `Input` ignores Ctrl-D and Esc, which leave a question open that the user
//! wants to leave; here they end it with no value, as the end of input does.

use console::{Key, Term, measure_text_width};

/// How typing at the prompt ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A value the validator took.
    Value(String),
    /// Esc, or Ctrl-D on an empty line: no value.
    Left,
}

/// Reads a line at `prompt` on stderr until it is valid or the user leaves. `complete` gives
/// the completion of what is typed (Tab, or → at the end of the line). Enter on an empty line
/// asks again.
pub fn read_line(
    prompt: &str,
    validate: impl Fn(&str) -> Result<(), String>,
    complete: impl Fn(&str) -> Option<String>,
) -> std::io::Result<Line> {
    let term = Term::stderr();
    if !term.is_term() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotConnected,
            "not a terminal",
        ));
    }
    let lead = format!("{prompt}: ");
    // The columns the error above the prompt takes, while one is shown.
    let mut error_shown: Option<usize> = None;
    loop {
        // Leaves the cursor where the prompt began, its rows cleared.
        let typed = edit(&term, &lead, &complete)?;
        if let Some(width) = error_shown.take() {
            let rows = width.div_ceil(columns(&term)).max(1);
            term.move_cursor_up(rows)?;
            term.clear_to_end_of_screen()?;
        }
        let Some(text) = typed else {
            return Ok(Line::Left);
        };
        if text.is_empty() {
            continue;
        }
        match validate(&text) {
            Ok(()) => {
                term.write_line(&format!("{lead}{text}"))?;
                return Ok(Line::Value(text));
            }
            Err(why) => {
                let error = format!("error: {why}");
                term.write_line(&error)?;
                error_shown = Some(measure_text_width(&error));
            }
        }
    }
}

/// Edits one line after `lead` (the prompt): typing inserts at the cursor, ← → Home End move
/// it, Backspace and Del delete, Ctrl-U clears. `None` for Esc, or Ctrl-D on an empty line.
/// The line may be wider than the terminal: it is drawn again whole after each key, over as
/// many rows as it takes. Returns with the cursor where the prompt began, its rows cleared.
fn edit(
    term: &Term,
    lead: &str,
    complete: &impl Fn(&str) -> Option<String>,
) -> std::io::Result<Option<String>> {
    let mut chars: Vec<char> = Vec::new();
    let mut at = 0;
    let mut screen = Drawn::default();
    loop {
        screen.draw(term, lead, &chars, at)?;
        match term.read_key()? {
            Key::Enter => return screen.leave(term, Some(chars.iter().collect())),
            Key::Escape => return screen.leave(term, None),
            Key::Char('\u{4}') if chars.is_empty() => return screen.leave(term, None),
            Key::Char(c) if !c.is_control() => {
                chars.insert(at, c);
                at += 1;
            }
            Key::Backspace if at > 0 => {
                at -= 1;
                chars.remove(at);
            }
            Key::Del if at < chars.len() => {
                chars.remove(at);
            }
            Key::Char('\u{15}') => {
                chars.clear();
                at = 0;
            }
            Key::ArrowLeft if at > 0 => {
                at -= 1;
            }
            Key::Home => {
                at = 0;
            }
            Key::ArrowRight if at < chars.len() => {
                at += 1;
            }
            Key::End => {
                at = chars.len();
            }
            Key::Tab | Key::ArrowRight => {
                let typed: String = chars.iter().collect();
                if let Some(done) = complete(&typed) {
                    chars = done.chars().collect();
                    at = chars.len();
                }
            }
            _ => {}
        }
    }
}

/// Where the cursor is in the prompt's line as drawn: columns from where the prompt began,
/// counted on through the rows it wraps over.
#[derive(Default)]
struct Drawn {
    cursor: usize,
}

impl Drawn {
    /// Draws `lead` and `chars` from where the prompt began, and puts the cursor before
    /// `chars[at]`.
    fn draw(&mut self, term: &Term, lead: &str, chars: &[char], at: usize) -> std::io::Result<()> {
        let columns = columns(term);
        self.clear(term)?;
        let text: String = chars.iter().collect();
        term.write_str(&format!("{lead}{text}"))?;
        let end = measure_text_width(lead) + measure_text_width(&text);
        // A line that fills its last row leaves the cursor on that row's last column, waiting
        // for the next character to wrap it: wrap it now, so the rows counted are the rows
        // drawn.
        if end > 0 && end.is_multiple_of(columns) {
            term.write_str("\r\n")?;
        }
        let cursor = measure_text_width(lead) + width(&chars[..at]);
        term.move_cursor_up(end / columns - cursor / columns)?;
        term.write_str("\r")?;
        term.move_cursor_right(cursor % columns)?;
        self.cursor = cursor;
        Ok(())
    }

    /// Clears what was drawn and ends the edit with `typed`.
    fn leave(&mut self, term: &Term, typed: Option<String>) -> std::io::Result<Option<String>> {
        self.clear(term)?;
        Ok(typed)
    }

    /// Clears what was drawn, leaving the cursor where the prompt began.
    fn clear(&mut self, term: &Term) -> std::io::Result<()> {
        term.move_cursor_up(self.cursor / columns(term))?;
        term.clear_to_end_of_screen()?;
        self.cursor = 0;
        Ok(())
    }
}

/// The terminal's width in columns (at least 1).
fn columns(term: &Term) -> usize {
    usize::from(term.size().1).max(1)
}

/// How many columns `chars` take.
fn width(chars: &[char]) -> usize {
    measure_text_width(&chars.iter().collect::<String>())
}
