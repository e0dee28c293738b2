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
        self.check_subject(&claims.sub, claims.epoch)
    }

    /// `invite_revoked` unless a token issued to `subject` in `epoch` may still be used.
    pub fn check_subject(&self, subject: &str, epoch: u64) -> Result<(), ProtocolError> {
        let revoked_one = self.issued.get(subject).is_some_and(|i| i.revoked);
        if epoch != self.epoch || revoked_one {
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

    /// Revokes one invite; `unknown_invite` when this room has no such invite.
    pub fn revoke(&mut self, invite_id: &str, now: u64) -> Result<InviteChange, ProtocolError> {
        let Some(invite) = self.issued.get(invite_id).copied() else {
            return Err(ProtocolError::new(
                ErrorCode::UnknownInvite,
                "this room has no such invite: it was never issued here, has expired, or was revoked with every invite of the room",
            ));
        };
        let revoked = StoredInvite {
            revoked: true,
            ..invite
        };
        Ok(self.change(invite_id, revoked, now))
    }

    /// Revokes every invite issued so far: a new epoch, and nothing left to remember. Returns
    /// the new epoch.
    pub fn revoke_all(&mut self) -> u64 {
        self.epoch = fresh_epoch(self.epoch);
        self.issued.clear();
        self.epoch
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
    fn a_revoked_invite_is_refused_and_the_others_of_the_room_are_not() {
        let mut invites = Invites::fresh();
        let epoch = invites.epoch();
        invites.record("invite-a", NOW + 600, NOW);
        invites.record("invite-b", NOW + 600, NOW);
        let change = invites.revoke("invite-a", NOW).unwrap();
        assert!(change.invite.revoked);
        assert_eq!(change.invite.expires_at, NOW + 600);
        assert_eq!(
            code(invites.check(&claims("invite-a", epoch))),
            Some(ErrorCode::InviteRevoked)
        );
        assert_eq!(code(invites.check(&claims("invite-b", epoch))), None);
        // A token the room never recorded (a person's, not an invite) passes on its epoch.
        assert_eq!(code(invites.check(&claims("u-ana", epoch))), None);
    }

    #[test]
    fn revoking_all_refuses_every_earlier_token_and_not_the_next_ones() {
        let mut invites = Invites::fresh();
        let old = invites.epoch();
        invites.record("invite-a", NOW + 600, NOW);
        let new = invites.revoke_all();
        assert_ne!(new, old);
        assert_ne!(new, 0);
        for token in [
            claims("invite-a", old),
            claims("u-ana", old),
            claims("x", 0),
        ] {
            assert_eq!(code(invites.check(&token)), Some(ErrorCode::InviteRevoked));
        }
        assert_eq!(code(invites.check(&claims("invite-z", new))), None);
        // The old epoch's invites are gone from the list: nothing left to revoke one by one.
        let err = invites.revoke("invite-a", NOW).err().unwrap();
        assert_eq!(err.code, ErrorCode::UnknownInvite);
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

    #[test]
    fn invites_are_forgotten_only_once_their_tokens_cannot_be_accepted() {
        let revoked = StoredInvite {
            expires_at: NOW - 30,
            revoked: true,
        };
        let long_gone = StoredInvite {
            expires_at: NOW - 3600,
            revoked: true,
        };
        let stored = BTreeMap::from([("invite-a".into(), revoked), ("invite-b".into(), long_gone)]);
        let mut invites = Invites::from_stored(5, stored, NOW);
        // Just expired: still within the verification leeway, still refused.
        assert_eq!(
            code(invites.check(&claims("invite-a", 5))),
            Some(ErrorCode::InviteRevoked)
        );
        assert_eq!(
            invites.revoke("invite-b", NOW).err().map(|e| e.code),
            Some(ErrorCode::UnknownInvite)
        );
        let change = invites.record("invite-c", NOW + 600, NOW + 120);
        assert_eq!(change.forget_before, NOW + 60);
        assert_eq!(
            invites.revoke("invite-a", NOW + 120).err().map(|e| e.code),
            Some(ErrorCode::UnknownInvite)
        );
    }
}
