//! `keyadm doctor`: what keyadm connected to and whether it can work there.

use crate::connect::{crl, tls};
use crate::error::{Error, Result};
use crate::store::{
    DAMAGED_HINT, DIVERGENT_HINT, FOREIGN_STATE, OWN_SCHEMA_HINT, STATEMENT_POOLING_HINT,
    not_initialised_hint,
};

use super::{Context, Outcome};

/// Prints the diagnosis; exits 0 only when every command can work (6 for a schema problem,
/// 8 for a read-only server, a pooler that refuses transactions or missing privileges, 7 when
/// the server cannot be reached at all).
pub fn run(context: &Context) -> Result<Outcome> {
    let target = context.target()?;
    let store = context.connect_to(&target)?;
    let check = tls::check(&target);
    // With several hosts, the one reached.
    let host = store.host();
    let crl_source = crl::source(&target).map(|source| source.to_string());
    let mut report = store.diagnose(target.port_of(host), check, crl_source)?;
    report.address = target.address_of(host);
    context.printer.doctor(&report)?;
    if report.ok {
        return Ok(Outcome::Success);
    }
    if let Some(divergence) = &report.schema.divergence {
        return Err(Error::Schema {
            message: format!("schema \"{}\": {divergence}", report.schema.name),
            hint: DIVERGENT_HINT.into(),
        });
    }
    if !report.schema.missing_objects.is_empty() {
        return Err(Error::Schema {
            message: format!(
                "schema \"{}\" is {}",
                report.schema.name, report.schema.state
            ),
            hint: DAMAGED_HINT.into(),
        });
    }
    if report.schema.database_version != Some(report.schema.binary_version) {
        return Err(Error::Schema {
            message: format!(
                "schema \"{}\" is {}",
                report.schema.name, report.schema.state
            ),
            hint: match report.schema.database_version {
                Some(v) if v > report.schema.binary_version => "upgrade keyadm".into(),
                None if report.schema.state.starts_with(FOREIGN_STATE) => OWN_SCHEMA_HINT.into(),
                None if report.schema.state.starts_with("unreadable") => {
                    "run the GRANT statements above as the schema's owner".into()
                }
                None => match store.other_keyadm_schemas().as_slice() {
                    [] => "run `keyadm init` (as a role allowed to create the schema)".into(),
                    others => not_initialised_hint(others),
                },
                _ => "run `keyadm init` (as a role allowed to create the schema)".into(),
            },
        });
    }
    if report.statement_pooling {
        return Err(Error::Failure {
            message: format!(
                "the pooler at {} refuses transactions (statement pooling mode): init, create, update and rotate cannot work there",
                report.address
            ),
            hint: Some(STATEMENT_POOLING_HINT.into()),
        });
    }
    if let Some(why) = &report.read_only {
        return Err(Error::Failure {
            message: format!("{} refuses every change: {why}", report.address),
            hint: Some(
                "connect to the primary (read-write) server for the commands that write, or list every host with target_session_attrs=read-write".into(),
            ),
        });
    }
    if report.verify_only {
        return Err(Error::Failure {
            message: format!(
                "user \"{}\" may verify keys and do nothing else (a service's role): keyadm's commands need an operator's role",
                report.user
            ),
            hint: Some(
                "run keyadm as an operator (README: Roles and grants); the GRANTs above would let this role read hashes and list keys".into(),
            ),
        });
    }
    let missing: usize = report.privileges.iter().map(|p| p.missing.len()).sum();
    Err(Error::Failure {
        message: format!(
            "user \"{}\" lacks {missing} privilege(s) some commands need",
            report.user
        ),
        hint: Some("run the GRANT statements above as the schema's owner".into()),
    })
}
