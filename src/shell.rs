//! Words of the shell commands that hints suggest, quoted so that they can be pasted.

/// `text` as one word of a shell command, for hints: as it is when that is safe, else in
/// single quotes.
pub fn word(text: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_only_when_they_must_be() {
        assert_eq!(word("acme/ci-deploy_2"), "acme/ci-deploy_2");
        assert_eq!(word("my org"), "'my org'");
        assert_eq!(word("it's"), "'it'\\''s'");
        assert_eq!(word("$HOME"), "'$HOME'");
        assert_eq!(word("café"), "'café'");
        assert_eq!(word(""), "''");
    }
}
