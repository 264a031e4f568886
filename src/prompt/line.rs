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
    let mut error_shown = false;
    loop {
        term.write_str(&format!("{prompt}: "))?;
        let typed = edit(&term, &complete)?;
        term.clear_line()?;
        if error_shown {
            term.clear_last_lines(1)?;
            error_shown = false;
        }
        let Some(text) = typed else {
            return Ok(Line::Left);
        };
        if text.is_empty() {
            continue;
        }
        match validate(&text) {
            Ok(()) => {
                term.write_line(&format!("{prompt}: {text}"))?;
                return Ok(Line::Value(text));
            }
            Err(why) => {
                term.write_line(&format!("error: {why}"))?;
                error_shown = true;
            }
        }
    }
}

/// Edits one line after the prompt: typing inserts at the cursor, ← → Home End move it,
/// Backspace and Del delete, Ctrl-U clears. `None` for Esc, or Ctrl-D on an empty line.
fn edit(
    term: &Term,
    complete: &impl Fn(&str) -> Option<String>,
) -> std::io::Result<Option<String>> {
    let mut chars: Vec<char> = Vec::new();
    let mut at = 0;
    loop {
        match term.read_key()? {
            Key::Enter => return Ok(Some(chars.into_iter().collect())),
            Key::Escape => return Ok(None),
            Key::Char('\u{4}') if chars.is_empty() => return Ok(None),
            Key::Char(c) if !c.is_control() => {
                chars.insert(at, c);
                at += 1;
                redraw_from(term, &chars, at - 1, 0)?;
                back(term, &chars[at..])?;
            }
            Key::Backspace if at > 0 => {
                at -= 1;
                back(term, &chars[at..=at])?;
                let gone = chars.remove(at);
                redraw_from(term, &chars, at, width(&[gone]))?;
                back(term, &chars[at..])?;
            }
            Key::Del if at < chars.len() => {
                let gone = chars.remove(at);
                redraw_from(term, &chars, at, width(&[gone]))?;
                back(term, &chars[at..])?;
            }
            Key::Char('\u{15}') => {
                back(term, &chars[..at])?;
                let gone = width(&chars);
                chars.clear();
                at = 0;
                redraw_from(term, &chars, 0, gone)?;
            }
            Key::ArrowLeft if at > 0 => {
                at -= 1;
                back(term, &chars[at..=at])?;
            }
            Key::Home => {
                back(term, &chars[..at])?;
                at = 0;
            }
            Key::ArrowRight if at < chars.len() => {
                term.write_str(&chars[at].to_string())?;
                at += 1;
            }
            Key::End => {
                term.write_str(&chars[at..].iter().collect::<String>())?;
                at = chars.len();
            }
            Key::Tab | Key::ArrowRight => {
                let typed: String = chars.iter().collect();
                if let Some(done) = complete(&typed) {
                    back(term, &chars[..at])?;
                    let gone = width(&chars);
                    chars = done.chars().collect();
                    at = chars.len();
                    redraw_from(term, &chars, 0, gone)?;
                }
            }
            _ => {}
        }
    }
}

/// How many columns `chars` take.
fn width(chars: &[char]) -> usize {
    measure_text_width(&chars.iter().collect::<String>())
}

/// Moves the cursor back over `chars`.
fn back(term: &Term, chars: &[char]) -> std::io::Result<()> {
    match width(chars) {
        0 => Ok(()),
        n => term.move_cursor_left(n),
    }
}

/// Writes `chars` from `from` to the end of the line, with blanks over the `gone` columns that
/// were drawn past it, and leaves the cursor at the end of what was drawn (past the blanks).
fn redraw_from(term: &Term, chars: &[char], from: usize, gone: usize) -> std::io::Result<()> {
    let tail: String = chars[from..].iter().collect();
    term.write_str(&format!("{tail}{}", " ".repeat(gone)))?;
    match gone {
        0 => Ok(()),
        n => term.move_cursor_left(n),
    }
}
