//! Whose recordings a caller opens. The admin key opens every room's; a trainer's invite to a
//! room opens that room's; a library invite (`POST /api/admin/library-invites`) names several
//! rooms, or all, and joins no live room.
//!
//! Library invites are revocable like a room's: they carry the epoch of the library's own
//! [`Invites`], stored as those of a scope no room can be named ([`LIBRARY_SCOPE`]).

use crate::auth::{Auth, Claims, ISSUER, unix_now};
use crate::rooms::Invites;
use crate::store::{Persister, StoredInvites};
use serde::{Deserialize, Serialize};
use spotter_protocol::{ErrorCode, ProtocolError, Role, RoomId};
use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The key library invites are stored under beside the rooms' (`*` is no room name's).
pub const LIBRARY_SCOPE: &str = "*library";

/// The rooms whose recordings a credential opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomScope {
    All,
    Rooms(BTreeSet<RoomId>),
}

impl RoomScope {
    pub fn one(room: RoomId) -> Self {
        RoomScope::Rooms(BTreeSet::from([room]))
    }

    pub fn contains(&self, room: &RoomId) -> bool {
        match self {
            RoomScope::All => true,
            RoomScope::Rooms(rooms) => rooms.contains(room),
        }
    }

    /// `wrong_room` unless `room` is in the scope.
    pub fn check(&self, room: &RoomId) -> Result<(), ProtocolError> {
        if self.contains(room) {
            return Ok(());
        }
        Err(ProtocolError::new(
            ErrorCode::WrongRoom,
            format!("this invite opens the recordings of {self}, not of room {room}"),
        ))
    }
}

impl fmt::Display for RoomScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoomScope::All => f.write_str("every room"),
            RoomScope::Rooms(rooms) => {
                let names: Vec<&str> = rooms.iter().map(RoomId::as_str).collect();
                let noun = if names.len() == 1 { "room" } else { "rooms" };
                write!(f, "{noun} {}", names.join(", "))
            }
        }
    }
}

/// What a library invite's token says. Its `library` claim is what no room token has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryClaims {
    pub iss: String,
    pub sub: String,
    pub library: RoomScope,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub epoch: u64,
    pub iat: u64,
    pub exp: u64,
}

/// A person's token for the recordings, read in one pass: a library invite's or a room's.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RecordingsToken {
    /// Tried first: its `library` claim is what no room token has.
    Library(LibraryClaims),
    Room(Claims),
}

/// Who is asking, for the audit log and bookmarks.
#[derive(Debug, Clone, PartialEq)]
pub enum Caller {
    Admin,
    /// A person, by the name on their invite (else the invite's id).
    Person(String),
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Caller::Admin => f.write_str("the administrator"),
            Caller::Person(name) => f.write_str(name),
        }
    }
}

/// What a credential opens, and whose it is.
#[derive(Debug, Clone)]
pub struct Access {
    pub rooms: RoomScope,
    pub caller: Caller,
}

/// The library invites issued, revocable; shared by every request.
#[derive(Clone)]
pub struct LibraryInvites {
    invites: Arc<Mutex<Invites>>,
    persister: Persister,
}

impl LibraryInvites {
    /// The library invites as stored (`None`: never stored, a fresh epoch is).
    pub fn load(stored: Option<StoredInvites>, persister: Persister) -> Self {
        let invites = match stored {
            Some((epoch, issued)) => Invites::from_stored(epoch, issued, unix_now()),
            None => {
                let fresh = Invites::fresh();
                persister.replace_invite_epoch(&scope_key(), fresh.epoch());
                fresh
            }
        };
        Self {
            invites: Arc::new(Mutex::new(invites)),
            persister,
        }
    }

    /// Signs a library invite for `scope` and remembers it, so that it can be revoked.
    pub fn issue(
        &self,
        auth: &Auth,
        scope: RoomScope,
        name: Option<String>,
        ttl: Duration,
    ) -> Result<(String, LibraryClaims), ProtocolError> {
        let mut invites = self.invites.lock().unwrap();
        let now = unix_now();
        let claims = LibraryClaims {
            iss: ISSUER.into(),
            sub: format!("library-{:016x}", rand::random::<u64>()),
            library: scope,
            role: Role::Trainer,
            name,
            epoch: invites.epoch(),
            iat: now,
            exp: now + ttl.as_secs(),
        };
        let token = auth.sign(&claims).map_err(|e| {
            tracing::error!("signing a library invite failed: {e:#}");
            ProtocolError::new(ErrorCode::Internal, "the invite could not be signed")
        })?;
        let change = invites.record(&claims.sub, claims.exp, now);
        self.persister.save_invite(
            &scope_key(),
            &claims.sub,
            change.invite,
            change.forget_before,
        );
        Ok((token, claims))
    }

    /// `invite_revoked` when these claims' invite was revoked.
    pub fn check(&self, claims: &LibraryClaims) -> Result<(), ProtocolError> {
        let invites = self.invites.lock().unwrap();
        invites.check_subject(&claims.sub, claims.epoch)
    }

    /// Revokes one library invite; `unknown_invite` when there is no such one.
    pub fn revoke(&self, invite_id: &str) -> Result<(), ProtocolError> {
        let mut invites = self.invites.lock().unwrap();
        let change = invites.revoke(invite_id, unix_now()).map_err(|_| {
            ProtocolError::new(
                ErrorCode::UnknownInvite,
                "there is no such library invite: it was never issued, has expired, or was revoked with every library invite",
            )
        })?;
        self.persister
            .save_invite(&scope_key(), invite_id, change.invite, change.forget_before);
        Ok(())
    }

    /// Revokes every library invite issued so far.
    pub fn revoke_all(&self) {
        let mut invites = self.invites.lock().unwrap();
        let epoch = invites.revoke_all();
        self.persister.replace_invite_epoch(&scope_key(), epoch);
    }
}

fn scope_key() -> RoomId {
    RoomId::new(LIBRARY_SCOPE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rooms(names: &[&str]) -> RoomScope {
        RoomScope::Rooms(names.iter().map(|n| RoomId::new(*n)).collect())
    }

    #[test]
    fn a_scope_opens_its_rooms_only_and_names_them_when_it_refuses() {
        let scope = rooms(&["line-1", "line-2"]);
        assert!(scope.check(&"line-2".into()).is_ok());
        let refused = scope.check(&"line-3".into()).unwrap_err();
        assert_eq!(refused.code, ErrorCode::WrongRoom);
        assert_eq!(
            refused.message,
            "this invite opens the recordings of rooms line-1, line-2, not of room line-3"
        );
        assert!(RoomScope::All.check(&"anything".into()).is_ok());
        assert_eq!(RoomScope::one("a".into()).to_string(), "room a");
    }

    #[test]
    fn a_scope_reads_as_all_or_a_list_of_rooms() {
        let all: RoomScope = serde_json::from_str(r#""all""#).unwrap();
        assert_eq!(all, RoomScope::All);
        let listed: RoomScope = serde_json::from_str(r#"{"rooms":["b","a"]}"#).unwrap();
        assert_eq!(listed, rooms(&["a", "b"]));
    }
}
