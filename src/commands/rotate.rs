//! `keyadm rotate KEY [--grace DUR]`.

use uuid::Uuid;

use crate::cli::RotateArgs;
use crate::error::{Error, Result};
use crate::secret::{Prefix, Secret};
use crate::store::Successor;

use super::{Context, Outcome, not_handed_over, requested_expiry, resolve_key};

/// Makes the successor, prints its secret once, and lets the old key live for the grace.
pub fn run(context: &Context, args: &RotateArgs) -> Result<Outcome> {
    let expiry = requested_expiry(&args.expiry)?;
    let store = context.store()?;
    let key = resolve_key(&store, &args.key, args.org.as_deref())?;
    let prefix = Prefix::parse(&key.prefix).map_err(Error::failure)?;
    let secret = Secret::generate(&prefix).map_err(Error::failure)?;
    let successor = Successor {
        id: Uuid::now_v7(),
        start: secret.start(),
        hash: secret.hash(),
    };
    let actor = context.actor()?;
    // The new secret is printed before the commit: if it cannot be, nothing changes.
    store.rotate_key(key.id, &successor, args.grace, expiry, &actor, |rotation| {
        context
            .printer
            .rotated(rotation, secret.expose())
            .map_err(|err| not_handed_over(err, "nothing was rotated"))
    })?;
    Ok(Outcome::Success)
}
