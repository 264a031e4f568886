//! `keyadm revoke KEY... | --org ORG --all`.

use crate::cli::RevokeArgs;
use crate::error::Result;
use crate::model::KeyStatus;
use crate::model::{Key, RevokeOutcome};

use super::{Context, Outcome, finish_report, reported_after, resolve_key};

/// How many keys a confirmation question names before it just counts.
const NAMED_IN_QUESTION: usize = 5;

/// Revokes now, after confirmation. Revoking a revoked key changes nothing and is no error.
pub fn run(context: &Context, args: &RevokeArgs) -> Result<Outcome> {
    let store = context.store_for_changes()?;
    // An empty reason (`--reason "$WHY"` with WHY unset) is no reason, null like an omitted one.
    let reason = args.reason.as_deref().filter(|reason| !reason.is_empty());
    if args.all {
        let org = args.org.as_deref().expect("clap requires --org with --all");
        // The question counts the keys there are now, and the revocation takes only those: a
        // key created while the question waits (a replacement, say) was not asked about.
        let asked = store.count_revocable(org, None)?;
        if asked.count > 0 {
            context.prompter.confirm(&format!(
                "Revoke all {} unrevoked key(s) of org \"{org}\"?",
                asked.count
            ))?;
        }
        let actor = context.actor()?;
        // The keys are reported as they come, in memory that does not grow with the org. A
        // report that cannot be written does not stop the revocation (it is made whole, as
        // expire's is); the report stops at its first failure, which is told after the commit.
        let mut report = context.printer.revoked_stream();
        let mut unwritten = None;
        let done = store.revoke_org(org, asked.as_of, &actor, reason, &mut |key| {
            if unwritten.is_none() {
                unwritten = report.push(key).err();
            }
            Ok(())
        })?;
        if !context.printer.is_quiet() {
            let newer = store.count_revocable(org, Some(asked.as_of))?.count;
            if newer > 0 {
                context.printer.warning(&format!(
                    "{newer} key(s) of org \"{org}\" created since keyadm counted the keys \
                     were left unrevoked; run the command again to revoke them too"
                ));
            }
        }
        finish_report(report, unwritten, done, "revoked")?;
        if asked.count == 0 && done == 0 {
            super::warn_if_unknown_org(context, &store, Some(org))?;
        }
        return Ok(Outcome::Success);
    }

    // Resolve every KEY before changing anything: one unknown KEY revokes none.
    let mut targets: Vec<Key> = Vec::new();
    for input in &args.keys {
        let key = resolve_key(&store, input, args.org.as_deref())?;
        if !targets.iter().any(|k| k.id == key.id) {
            targets.push(key);
        }
    }
    let pending: Vec<&Key> = targets
        .iter()
        .filter(|k| k.status != KeyStatus::Revoked)
        .collect();
    let revoked = if pending.is_empty() {
        Vec::new()
    } else {
        context.prompter.confirm(&question(&pending))?;
        let ids: Vec<_> = pending.iter().map(|k| k.id).collect();
        store.revoke_keys(&ids, &context.actor()?, reason)?
    };
    let outcomes: Vec<RevokeOutcome> = targets
        .into_iter()
        .map(|old| match revoked.iter().find(|k| k.id == old.id) {
            Some(new) => RevokeOutcome {
                key: new.clone(),
                changed: true,
            },
            None => RevokeOutcome {
                key: old,
                changed: false,
            },
        })
        .collect();
    report(context, &outcomes)?;
    // Revoking the newest key of a rotation leaves the keys it replaced working until their
    // grace ends: worth a word, since the secret that leaked may be theirs.
    if !revoked.is_empty() && !context.printer.is_quiet() {
        let ids: Vec<_> = revoked.iter().map(|key| key.id).collect();
        for (head, predecessor) in store.live_predecessors(&ids)? {
            if let Some(key) = revoked.iter().find(|key| key.id == head) {
                context.printer.predecessor_still_works(key, &predecessor);
            }
        }
    }
    Ok(Outcome::Success)
}

/// Prints what was revoked; a report that cannot be written says the revocations stand.
fn report(context: &Context, outcomes: &[RevokeOutcome]) -> Result<()> {
    context.printer.revoked(outcomes).map_err(|err| {
        let count = outcomes.iter().filter(|o| o.changed).count();
        if count == 0 {
            err
        } else {
            reported_after(err, &format!("{count} key(s) revoked"))
        }
    })
}

fn question(keys: &[&Key]) -> String {
    let mut names: Vec<String> = keys
        .iter()
        .take(NAMED_IN_QUESTION)
        .map(|k| k.label())
        .collect();
    if keys.len() > NAMED_IN_QUESTION {
        names.push(format!("and {} more", keys.len() - NAMED_IN_QUESTION));
    }
    format!("Revoke {} key(s): {}?", keys.len(), names.join(", "))
}
