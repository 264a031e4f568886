//! Text from the database made safe to show on a terminal.
//!
//! keyadm refuses control and invisible characters in what it is given, but rows can come
//! from elsewhere (an import, another tool, plain SQL), and a revoke reason written by an older
//! keyadm could hold anything. Printed raw, an escape sequence in a name or a reason would be
//! run by the terminal of whoever lists the keys (colours, a changed window title, even the
//! clipboard). Every piece of stored text in human output goes through [`visible`], which
//! shows such characters as escapes (`\u{1b}`), as `escape_debug` would, and leaves all else.

use std::borrow::Cow;

use crate::label::is_invisible_format;

/// Whether `c` must not reach a terminal as it is.
fn hidden(c: char) -> bool {
    c.is_control() || is_invisible_format(c)
}

/// `text` with control and invisible formatting characters shown as escapes.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => shown.push_str("\\n"),
            '\r' => shown.push_str("\\r"),
            '\t' => shown.push_str("\\t"),
            c if hidden(c) => shown.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => shown.push(c),
        }
    }
    Cow::Owned(shown)
}

/// [`visible`] for text already owned, without copying it when nothing needs escaping.
pub fn visible_string(text: String) -> String {
    if let Cow::Owned(shown) = visible(&text) {
        return shown;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::visible;

    #[test]
    fn control_and_invisible_characters_are_shown_as_escapes() {
        assert_eq!(visible("plain ünïcode/name"), "plain ünïcode/name");
        assert_eq!(visible("a\u{1b}[31mred\u{7}"), "a\\u{1b}[31mred\\u{7}");
        assert_eq!(visible("two\nlines\t"), "two\\nlines\\t");
        // C1 controls (CSI as one byte in some terminals), DEL, and a right-to-left override.
        assert_eq!(visible("\u{9b}31m\u{7f}"), "\\u{9b}31m\\u{7f}");
        assert_eq!(visible("evil\u{202e}txt"), "evil\\u{202e}txt");
    }
}
