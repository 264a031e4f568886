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
    let _quiet = NoEcho::start();
    let lead = format!("{prompt}: ");
    // The error shown above the prompt, while one is.
    let mut error_shown: Option<String> = None;
    loop {
        // Leaves the cursor where the prompt began, its rows cleared.
        let typed = edit(&term, &lead, &complete)?;
        if let Some(error) = error_shown.take() {
            let chars: Vec<char> = error.chars().collect();
            let rows = layout(&chars, columns(&term)).last().map_or(0, |end| end.0) + 1;
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
                error_shown = Some(error);
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

/// Keeps the terminal from echoing while a line is edited. The terminal library takes raw mode
/// for each key it reads and gives it back after: a key that comes in between (typed fast,
/// pasted, or on a busy machine) would be echoed by the terminal where the line is being
/// drawn, moving the cursor that the drawing counts on, and the line would be drawn twice.
/// Ctrl-C still raises SIGINT; the question's handler puts back the settings from before.
struct NoEcho(Option<rustix::termios::Termios>);

impl NoEcho {
    fn start() -> NoEcho {
        use rustix::termios::{
            LocalModes, OptionalActions, SpecialCodeIndex, tcgetattr, tcsetattr,
        };
        let stdin = std::io::stdin();
        let Ok(original) = tcgetattr(&stdin) else {
            return NoEcho(None);
        };
        let mut quiet = original.clone();
        quiet
            .local_modes
            .remove(LocalModes::ECHO | LocalModes::ICANON);
        quiet.special_codes[SpecialCodeIndex::VMIN] = 1;
        quiet.special_codes[SpecialCodeIndex::VTIME] = 0;
        match tcsetattr(&stdin, OptionalActions::Now, &quiet) {
            Ok(()) => NoEcho(Some(original)),
            Err(_) => NoEcho(None),
        }
    }
}

impl Drop for NoEcho {
    fn drop(&mut self) {
        if let Some(original) = &self.0 {
            let _ = rustix::termios::tcsetattr(
                std::io::stdin(),
                rustix::termios::OptionalActions::Now,
                original,
            );
        }
    }
}

/// The row of the cursor in the prompt's line as drawn, counted from the row the prompt began
/// on.
#[derive(Default)]
struct Drawn {
    cursor_row: usize,
}

impl Drawn {
    /// Draws `lead` and `chars` from where the prompt began, and puts the cursor before
    /// `chars[at]`.
    fn draw(&mut self, term: &Term, lead: &str, chars: &[char], at: usize) -> std::io::Result<()> {
        let columns = columns(term);
        self.clear(term)?;
        let text: String = chars.iter().collect();
        term.write_str(&format!("{lead}{text}"))?;
        let all: Vec<char> = lead.chars().chain(chars.iter().copied()).collect();
        let places = layout(&all, columns);
        let mut end = places[all.len()];
        // A line that fills its last row leaves the cursor on that row's last column, waiting
        // for the next character to wrap it: wrap it now, so the rows counted are the rows
        // drawn.
        if end.1 >= columns {
            term.write_str("\r\n")?;
            end = (end.0 + 1, 0);
        }
        let (row, column) = match places[lead.chars().count() + at] {
            (row, column) if column >= columns => (row + 1, 0),
            place => place,
        };
        term.move_cursor_up(end.0 - row)?;
        term.write_str("\r")?;
        term.move_cursor_right(column)?;
        self.cursor_row = row;
        Ok(())
    }

    /// Clears what was drawn and ends the edit with `typed`.
    fn leave(&mut self, term: &Term, typed: Option<String>) -> std::io::Result<Option<String>> {
        self.clear(term)?;
        Ok(typed)
    }

    /// Clears what was drawn, leaving the cursor where the prompt began.
    fn clear(&mut self, term: &Term) -> std::io::Result<()> {
        term.move_cursor_up(self.cursor_row)?;
        term.clear_to_end_of_screen()?;
        self.cursor_row = 0;
        Ok(())
    }
}

/// Where each of `chars` begins when drawn from the start of a row on a terminal `columns`
/// wide, as (row, column), and last where the cursor is left after them. A character two
/// columns wide that does not fit in what is left of a row begins the next one, as terminals
/// draw it, leaving that column blank. A row that is full leaves the cursor past its end (a
/// column equal to `columns`), where the terminal keeps it until the next character.
fn layout(chars: &[char], columns: usize) -> Vec<(usize, usize)> {
    let mut places = Vec::with_capacity(chars.len() + 1);
    let (mut row, mut column) = (0, 0);
    for &c in chars {
        let wide = char_width(c);
        if wide > 0 && column > 0 && column + wide > columns {
            row += 1;
            column = 0;
        }
        places.push((row, column));
        column = (column + wide).min(columns);
    }
    places.push((row, column));
    places
}

/// The terminal's width in columns (at least 1).
fn columns(term: &Term) -> usize {
    usize::from(term.size().1).max(1)
}

/// How many columns `c` takes: 0 (a combining mark), 1 or 2.
fn char_width(c: char) -> usize {
    measure_text_width(c.encode_utf8(&mut [0; 4]))
}

#[cfg(test)]
mod tests {
    use super::layout;

    #[test]
    fn a_line_wraps_at_the_last_column() {
        let places = layout(&['a', 'b', 'c', 'd', 'e'], 2);
        assert_eq!(places, [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)]);
        assert_eq!(layout(&['a', 'b'], 2).last(), Some(&(0, 2)));
    }

    #[test]
    fn a_wide_character_that_would_straddle_the_row_end_begins_the_next_row() {
        // Three columns: the first wide character would take the last column of row 0 and
        // one more, so it begins row 1 and leaves that column blank; nor does the second fit
        // after it.
        let places = layout(&['a', 'b', '界', '界'], 3);
        assert_eq!(places, [(0, 0), (0, 1), (1, 0), (2, 0), (2, 2)]);
        // Where it fits, it stays.
        assert_eq!(layout(&['a', '界'], 3), [(0, 0), (0, 1), (0, 3)]);
    }

    #[test]
    fn a_combining_mark_takes_no_column() {
        assert_eq!(
            layout(&['e', '\u{301}', 'x'], 4),
            [(0, 0), (0, 1), (0, 1), (0, 2)]
        );
    }
}
