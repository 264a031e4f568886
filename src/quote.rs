//! Names quoted for messages: words of the shell commands that hints suggest, quoted so that
//! they can be pasted, and lists of names.

/// `text` as one word of a shell command, for hints: as it is when that is safe, else in
/// single quotes.
pub fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.,:@%+=-/".contains(c));
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// Names in double quotes, joined by `separator`: `"a", "b"` or `"a" or "b"`.
pub fn names(names: &[String], separator: &str) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("\"{name}\"")).collect();
    quoted.join(separator)
}

/// Names in double quotes as a phrase: `"a"`, `"a" and "b"`, `"a", "b" and "c"` (with
/// `conjunction` "and").
pub fn names_phrase(names: &[String], conjunction: &str) -> String {
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!("{} {conjunction} \"{last}\"", self::names(rest, ", "))
        }
        _ => self::names(names, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_they_must_be() {
        assert_eq!(shell_word("acme/ci-deploy_2"), "acme/ci-deploy_2");
        assert_eq!(shell_word("my org"), "'my org'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word("$HOME"), "'$HOME'");
        assert_eq!(shell_word("café"), "'café'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn names_are_quoted_and_joined() {
        let names_of = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(names(&names_of(&["a", "b"]), ", "), "\"a\", \"b\"");
        assert_eq!(names(&names_of(&["Acme"]), " or "), "\"Acme\"");
        assert_eq!(names_phrase(&names_of(&[]), "and"), "");
        assert_eq!(names_phrase(&names_of(&["a"]), "and"), "\"a\"");
        assert_eq!(names_phrase(&names_of(&["a", "b"]), "or"), "\"a\" or \"b\"");
        assert_eq!(
            names_phrase(&names_of(&["a", "b", "c"]), "and"),
            "\"a\", \"b\" and \"c\""
        );
    }
}
