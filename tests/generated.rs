//! The checked-in completions and man pages must be what the binary generates.

use std::path::Path;

use crate::support::Run;

#[test]
fn completions_and_man_pages_are_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let regenerate = std::env::var_os("KEYADM_REGENERATE").is_some();
    let files = keyadm::docs::generated_files();
    let mut stale = Vec::new();
    for (path, contents) in &files {
        let full = root.join(path);
        if regenerate {
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, contents).unwrap();
        } else if std::fs::read_to_string(&full).ok().as_deref() != Some(contents.as_str()) {
            stale.push(path.clone());
        }
    }
    for dir in ["man", "completions"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = format!("{dir}/{}", entry.unwrap().file_name().to_string_lossy());
            if !files.iter().any(|(p, _)| *p == path) {
                stale.push(format!("{path} (no longer generated: remove it)"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files, run scripts/regenerate: {stale:?}"
    );
}

#[test]
fn the_completions_command_prints_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef keyadm"),
        ("fish", "complete -c keyadm"),
        ("elvish", "keyadm"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        Run::new(&["completions", shell])
            .run()
            .success()
            .stdout_has(marker);
    }
    Run::new(&["completions", "tcsh"])
        .run()
        .code(2)
        .one_line_error();
    let bash = Run::new(&["completions", "bash"]).run().success().stdout;
    for command in ["rotate", "expire", "audit", "--grace"] {
        assert!(bash.contains(command), "bash completion lacks {command}");
    }
}

#[test]
fn the_top_man_page_has_exit_codes_and_environment() {
    let pages = keyadm::docs::man_pages();
    let top = &pages.iter().find(|(name, _)| name == "keyadm.1").unwrap().1;
    for text in [
        "EXIT STATUS",
        "ENVIRONMENT",
        "KEYADM_DATABASE_URL",
        "PGPASSFILE",
        "keyadm\\-rotate",
    ] {
        assert!(top.contains(text), "keyadm.1 lacks {text}");
    }
    assert!(
        pages
            .iter()
            .any(|(name, page)| name == "keyadm-rotate.1" && page.contains("grace"))
    );
}
