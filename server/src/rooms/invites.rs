//! A room's invites: the epoch every valid token of the room carries, and the invites issued
//! in that epoch, each revoked or not, remembered until it expires.
//!
//! Revoking one invite marks it; revoking every invite replaces the epoch, which refuses every
//! token issued before without listing them, to the token (no reliance on issue times, which
//! have a resolution of a second). Tokens carry the epoch of the moment they were signed.

use crate::auth::Claims;
use crate::store::StoredInvite;
use spotter_protocol::{ErrorCode, ProtocolError};
use std::collections::BTreeMap;

/// How long an invite is remembered after it expires: longer than the clock leeway tokens are
/// verified with, so a revoked invite stays refused for as long as its token is accepted.
const REMEMBERED_AFTER_EXPIRY_SECONDS: u64 = 60;

#[derive(Debug, Default)]
pub struct Invites {
    epoch: u64,
    issued: BTreeMap<String, StoredInvite>,
}

/// An invite as it now is, to be stored, and the expiry before which the room's invites may be
/// forgotten.
pub struct InviteChange {
    pub invite: StoredInvite,
    pub forget_before: u64,
}

impl Invites {
    /// A new room's invites: none yet, a fresh epoch.
    pub fn fresh() -> Self {
        Self {
            epoch: fresh_epoch(0),
            issued: BTreeMap::new(),
        }
    }

    /// The invites as stored, less those expired long enough ago at `now`.
    pub fn from_stored(epoch: u64, mut issued: BTreeMap<String, StoredInvite>, now: u64) -> Self {
        let forget_before = forget_before(now);
        issued.retain(|_, invite| invite.expires_at >= forget_before);
        Self { epoch, issued }
    }

    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// `invite_revoked` unless a token with these claims may still be used in this room.
    /// Tokens this room did not record (issued to a person rather than through an invite) are
    /// checked by their epoch alone.
    pub fn check(&self, claims: &Claims) -> Result<(), ProtocolError> {
        let revoked_one = self.issued.get(&claims.sub).is_some_and(|i| i.revoked);
        if claims.epoch != self.epoch || revoked_one {
            return Err(revoked());
        }
        Ok(())
    }

    /// Remembers an invite issued in the current epoch.
    pub fn record(&mut self, invite_id: &str, expires_at: u64, now: u64) -> InviteChange {
        let invite = StoredInvite {
            expires_at,
            revoked: false,
        };
        self.change(invite_id, invite, now)
    }

    fn change(&mut self, invite_id: &str, invite: StoredInvite, now: u64) -> InviteChange {
        let forget_before = forget_before(now);
        self.issued.retain(|_, i| i.expires_at >= forget_before);
        self.issued.insert(invite_id.to_owned(), invite);
        InviteChange {
            invite,
            forget_before,
        }
    }
}

pub fn revoked() -> ProtocolError {
    ProtocolError::new(
        ErrorCode::InviteRevoked,
        "this invite was revoked: ask for a new one",
    )
}

/// A random epoch other than `previous` and other than 0, the epoch of tokens issued before
/// epochs existed.
pub fn fresh_epoch(previous: u64) -> u64 {
    loop {
        let epoch = rand::random::<u64>();
        if epoch != 0 && epoch != previous {
            return epoch;
        }
    }
}

fn forget_before(now: u64) -> u64 {
    now.saturating_sub(REMEMBERED_AFTER_EXPIRY_SECONDS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spotter_protocol::Role;

    const NOW: u64 = 1_000_000;

    fn claims(sub: &str, epoch: u64) -> Claims {
        Claims {
            iss: "spotter".into(),
            sub: sub.into(),
            room: "demo".into(),
            role: Role::Expert,
            name: None,
            epoch,
            iat: NOW,
            exp: NOW + 600,
        }
    }

    fn code(result: Result<(), ProtocolError>) -> Option<ErrorCode> {
        result.err().map(|e| e.code)
    }

    #[test]
    fn tokens_without_an_epoch_keep_working_in_rooms_stored_before_epochs() {
        let invites = Invites::from_stored(0, BTreeMap::new(), NOW);
        assert_eq!(code(invites.check(&claims("invite-old", 0))), None);
        let fresh = Invites::fresh();
        assert_eq!(
            code(fresh.check(&claims("invite-old", 0))),
            Some(ErrorCode::InviteRevoked)
        );
    }
}
