//! Reference files generated from the clap tree: shell completions and man pages. The checked-in
//! copies under `completions/` and `man/` are refreshed by `scripts/regenerate`, and a test fails
//! when they differ from what this binary generates.

use clap::CommandFactory;
use clap_complete::Shell;
use clap_mangen::Man;

use crate::cli::Cli;

/// The completion scripts kept in the repository, by path.
pub const COMPLETION_FILES: [(&str, Shell); 3] = [
    ("completions/keyadm.bash", Shell::Bash),
    ("completions/_keyadm", Shell::Zsh),
    ("completions/keyadm.fish", Shell::Fish),
];

/// The completion script for `shell`.
pub fn completion(shell: Shell) -> String {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "keyadm", &mut script);
    String::from_utf8(script).expect("completion scripts are UTF-8")
}

/// The exit statuses, for the top man page.
const EXIT_STATUS: [(&str, &str); 9] = [
    ("0", "Success (for check: every key valid)."),
    (
        "1",
        "check: a key is not valid, or expires within \\-\\-expiring\\-within.",
    ),
    ("2", "Usage: bad flag, value, duration or time."),
    ("3", "Not found: KEY matches no key."),
    (
        "4",
        "Conflict: ambiguous KEY, name in use, key already rotated, revoked or expired.",
    ),
    (
        "5",
        "Aborted: confirmation declined, or required and no terminal; nothing changed.",
    ),
    (
        "6",
        "Schema: not initialised (run keyadm init), behind, or newer than this binary.",
    ),
    (
        "7",
        "Database unavailable: cannot connect, authentication failed, timed out.",
    ),
    ("8", "Any other failure."),
];

/// The environment variables keyadm reads, for the top man page.
const ENVIRONMENT: [(&str, &str); 10] = [
    (
        "KEYADM_DATABASE_URL, DATABASE_URL",
        "Where to connect, when \\-\\-database\\-url is not given: a postgres:// URL or a libpq key=value string.",
    ),
    (
        "PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE",
        "libpq settings for whatever the URL leaves out.",
    ),
    (
        "PGHOSTADDR, PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY, PGSSLCRL, PGSSLCRLDIR, PGSSLCERTMODE, PGSSLMINPROTOCOLVERSION, PGSSLMAXPROTOCOLVERSION, PGSSLSNI, PGSSLNEGOTIATION, PGSSLCOMPRESSION, PGCONNECT_TIMEOUT, PGAPPNAME, PGOPTIONS, PGCHANNELBINDING, PGTARGETSESSIONATTRS, PGLOADBALANCEHOSTS, PGREQUIRESSL (deprecated; 1 means PGSSLMODE=require), PGSERVICE, PGSERVICEFILE, PGSYSCONFDIR",
        "More libpq settings, with libpq's meaning. One that keyadm cannot obey (PGREQUIREAUTH, PGREQUIREPEER, PGGSSENCMODE=require) is refused rather than ignored.",
    ),
    (
        "PGPASSFILE",
        "The password file (default ~/.pgpass), used when no password is given.",
    ),
    (
        "KEYADM_SCHEMA",
        "The schema of keyadm's tables (default keyadm).",
    ),
    (
        "KEYADM_ACTOR",
        "Who is acting, as recorded in the audit log (default the OS user).",
    ),
    ("KEYADM_PREFIX", "The prefix of new secrets (default sk)."),
    (
        "KEYADM_SECRET",
        "The secret for check, when none is given as an argument or on stdin.",
    ),
    ("NO_COLOR", "When set and not empty, no colour."),
    ("HOME", "Where ~/.pgpass is."),
];

fn roff_section(title: &str, items: &[(&str, &str)]) -> String {
    let mut text = format!(".SH \"{title}\"\n");
    for (term, meaning) in items {
        text.push_str(&format!(".TP\n\\fB{term}\\fR\n{meaning}\n"));
    }
    text
}

fn render(man: &Man) -> String {
    let mut page = Vec::new();
    man.render(&mut page)
        .expect("rendering to memory cannot fail");
    String::from_utf8(page).expect("man pages are UTF-8")
}

/// Every man page, as (file name, roff): `keyadm.1` with the exit statuses and environment,
/// and one `keyadm-<command>.1` per subcommand.
pub fn man_pages() -> Vec<(String, String)> {
    let mut command = Cli::command().after_help("").after_long_help("");
    command.build();
    let mut top = render(&Man::new(command.clone()));
    top.push_str(&roff_section("EXIT STATUS", &EXIT_STATUS));
    top.push_str(&roff_section("ENVIRONMENT", &ENVIRONMENT));
    top.push_str(".SH \"SEE ALSO\"\n");
    let names: Vec<String> = command
        .get_subcommands()
        .filter(|sub| sub.get_name() != "help")
        .map(|sub| format!("\\fBkeyadm\\-{}\\fR(1)", sub.get_name()))
        .collect();
    top.push_str(&format!("{}\n", names.join(", ")));
    let mut pages = vec![("keyadm.1".to_owned(), top)];
    for sub in command
        .get_subcommands()
        .filter(|sub| sub.get_name() != "help")
    {
        let name = format!("keyadm-{}", sub.get_name());
        let page = render(&Man::new(
            sub.clone().name(name.clone()).display_name(&name),
        ));
        pages.push((format!("{name}.1"), page));
    }
    pages
}

/// Every generated file, as (path relative to the repository, contents).
pub fn generated_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = COMPLETION_FILES
        .iter()
        .map(|(path, shell)| ((*path).to_owned(), completion(*shell)))
        .collect();
    files.extend(
        man_pages()
            .into_iter()
            .map(|(name, page)| (format!("man/{name}"), page)),
    );
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_man_page_names_every_libpq_variable_keyadm_reads() {
        let named: String = ENVIRONMENT
            .iter()
            .map(|(names, _)| *names)
            .collect::<Vec<_>>()
            .join(", ")
            + &ENVIRONMENT
                .iter()
                .map(|(_, text)| *text)
                .collect::<String>();
        for (var, _) in crate::connect::PG_ENV {
            assert!(
                named.contains(var),
                "{var} is not in the man page's ENVIRONMENT"
            );
        }
    }
}
