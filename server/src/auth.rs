//! Access: signed, expiring tokens (JWT, HS256) that carry a room, a role and an identity, and
//! the admin key that guards the admin API.
//!
//! The signing secret lives in a file (created with a random secret on first start), so tokens
//! stay valid across restarts and a second node sharing the file accepts them.

use anyhow::Context;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use spotter_protocol::{ErrorCode, ProtocolError, Role, RoomId};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The issuer every Spotter token names; a token for something else is refused.
pub const ISSUER: &str = "spotter";
/// Clock difference tolerated between the machine that issued a token and this one.
const CLOCK_LEEWAY_SECONDS: u64 = 5;
/// Random bytes in a generated signing secret.
const SECRET_BYTES: usize = 32;
/// Shortest admin key accepted: a short key is guessable.
pub const MIN_ADMIN_KEY_CHARS: usize = 16;

/// What a token says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// Who the token was issued to: a person's id, or the invite's id for an invite link.
    pub sub: String,
    pub room: RoomId,
    pub role: Role,
    /// The person's name, when the issuer knows it; otherwise they type it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The room's invite epoch when the token was issued; revoking every invite of the room
    /// replaces the epoch. Tokens issued before epochs existed carry none: 0.
    #[serde(default)]
    pub epoch: u64,
    pub iat: u64,
    pub exp: u64,
}

/// A token that was issued.
#[derive(Debug, Clone)]
pub struct Issued {
    pub token: String,
    pub claims: Claims,
}

#[derive(Clone)]
pub struct Auth {
    inner: Arc<Inner>,
}

struct Inner {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    admin_key: Option<String>,
    metrics_token: Option<String>,
}

impl Auth {
    pub fn new(
        secret: &[u8],
        admin_key: Option<String>,
        metrics_token: Option<String>,
    ) -> anyhow::Result<Self> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = CLOCK_LEEWAY_SECONDS;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        Ok(Self {
            inner: Arc::new(Inner {
                encoding: EncodingKey::from_secret(secret)?,
                decoding: DecodingKey::from_secret(secret)?,
                validation,
                admin_key,
                metrics_token,
            }),
        })
    }

    /// Signs a token for `role` in `room`, valid for `ttl`, in the room's invite `epoch`.
    pub fn issue(
        &self,
        room: &RoomId,
        role: Role,
        subject: String,
        name: Option<String>,
        ttl: Duration,
        epoch: u64,
    ) -> anyhow::Result<Issued> {
        let now = unix_now();
        let claims = Claims {
            iss: ISSUER.into(),
            sub: subject,
            room: room.clone(),
            role,
            name,
            epoch,
            iat: now,
            exp: now + ttl.as_secs(),
        };
        let token = self.sign(&claims)?;
        Ok(Issued { token, claims })
    }

    /// Signs any claims with the server's secret (HS256).
    pub fn sign<C: Serialize>(&self, claims: &C) -> anyhow::Result<String> {
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &self.inner.encoding,
        )?)
    }

    /// The claims of a token this server signed and that has not expired, read as `C`.
    pub fn decode<C: DeserializeOwned>(&self, token: &str) -> Result<C, ProtocolError> {
        jsonwebtoken::decode::<C>(token, &self.inner.decoding, &self.inner.validation)
            .map(|data| data.claims)
            .map_err(|e| {
                // The parser's own words stay in the log: they describe the library.
                tracing::debug!("an access token was refused: {e:?}");
                token_error(e.kind())
            })
    }

    /// The claims of `token` if this server signed it, it has not expired and it is for `room`.
    /// Whether its invite was revoked is the room's to say ([`crate::rooms::RoomRegistry`]).
    pub fn verify(&self, token: &str, room: &RoomId) -> Result<Claims, ProtocolError> {
        let claims = self.verify_any_room(token)?;
        if &claims.room != room {
            return Err(ProtocolError::new(
                ErrorCode::WrongRoom,
                format!("this invite is for room {}, not {room}", claims.room),
            ));
        }
        Ok(claims)
    }

    /// A token this server signed and that has not expired, whichever room it is for.
    fn verify_any_room(&self, token: &str) -> Result<Claims, ProtocolError> {
        self.decode::<Claims>(token).map_err(|e| {
            // A library invite is whole and valid, only not for a room.
            if self.decode::<LibraryInviteShape>(token).is_ok() {
                ProtocolError::new(
                    ErrorCode::WrongRoom,
                    "this is a library invite: it opens recordings at /recordings, not a live room",
                )
            } else {
                e
            }
        })
    }

    /// Whether `presented` is the admin key. Without a configured key the admin API is off.
    pub fn check_admin(&self, presented: Option<&str>) -> Result<(), ProtocolError> {
        let Some(key) = &self.inner.admin_key else {
            return Err(ProtocolError::new(
                ErrorCode::Unauthorized,
                "the admin API is off: set [auth] admin_key (or SPOTTER_ADMIN_KEY) to use it",
            ));
        };
        match presented {
            None => Err(ProtocolError::new(
                ErrorCode::Unauthorized,
                "the admin API needs the admin key: Authorization: Bearer <key>",
            )),
            Some(p) if constant_time_eq(p.as_bytes(), key.as_bytes()) => Ok(()),
            Some(_) => Err(ProtocolError::new(
                ErrorCode::Unauthorized,
                "wrong admin key",
            )),
        }
    }

    /// Whether `presented` opens `/metrics`: the metrics token, or the admin key.
    pub fn check_metrics(&self, presented: Option<&str>) -> Result<(), ProtocolError> {
        if let (Some(token), Some(p)) = (&self.inner.metrics_token, presented)
            && constant_time_eq(p.as_bytes(), token.as_bytes())
        {
            return Ok(());
        }
        self.check_admin(presented).map_err(|_| {
            ProtocolError::new(
                ErrorCode::Unauthorized,
                "metrics need the metrics token ([auth] metrics_token) or the admin key: Authorization: Bearer <token>",
            )
        })
    }
}

/// What tells a library invite ([`crate::recording::access::LibraryClaims`]) from a room's.
#[derive(Deserialize)]
struct LibraryInviteShape {
    #[serde(rename = "library")]
    _library: serde::de::IgnoredAny,
}

fn token_error(kind: &ErrorKind) -> ProtocolError {
    match kind {
        ErrorKind::ExpiredSignature => ProtocolError::new(
            ErrorCode::TokenExpired,
            "this invite has expired: ask for a new one",
        ),
        ErrorKind::InvalidSignature => ProtocolError::new(
            ErrorCode::InvalidToken,
            "the access token's signature does not match: it was altered or issued by another server",
        ),
        ErrorKind::ImmatureSignature => {
            ProtocolError::new(ErrorCode::InvalidToken, "the access token is not valid yet")
        }
        ErrorKind::InvalidIssuer | ErrorKind::InvalidAlgorithm => {
            ProtocolError::new(ErrorCode::InvalidToken, "not a Spotter access token")
        }
        _ => ProtocolError::new(
            ErrorCode::InvalidToken,
            "the access token cannot be read: it is not a whole Spotter invite token",
        ),
    }
}

/// Compares without stopping at the first difference, so the time taken does not reveal how
/// much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The signing secret in `path`, created (readable by its owner only) when missing.
pub fn load_or_create_secret(path: &Path) -> anyhow::Result<Vec<u8>> {
    match std::fs::read(path) {
        Ok(secret) if secret.len() >= SECRET_BYTES => return Ok(secret),
        Ok(_) => anyhow::bail!(
            "the token secret in {} is shorter than {SECRET_BYTES} bytes",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    if let Some(dir) = path.parent()
        && !dir.exists()
    {
        crate::private_dir::create_private_dir(dir)?;
    }
    let secret: [u8; SECRET_BYTES] = rand::random();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    use std::io::Write;
    options
        .open(path)
        .and_then(|mut f| f.write_all(&secret))
        .with_context(|| format!("creating the token secret {}", path.display()))?;
    tracing::info!(path = %path.display(), "created a new token signing secret");
    Ok(secret.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Auth {
        Auth::new(
            &[7; 32],
            Some("a-long-admin-key-0123".into()),
            Some("a-metrics-token-0123".into()),
        )
        .unwrap()
    }

    #[test]
    fn a_token_carries_room_role_and_identity() {
        let auth = auth();
        let room = RoomId::new("line-1");
        let issued = auth
            .issue(
                &room,
                Role::Expert,
                "u-ana".into(),
                Some("Ana".into()),
                Duration::from_secs(60),
                3,
            )
            .unwrap();
        let claims = auth.verify(&issued.token, &room).unwrap();
        assert_eq!((claims.role, claims.sub.as_str()), (Role::Expert, "u-ana"));
        assert_eq!(claims.name.as_deref(), Some("Ana"));
        assert_eq!(claims.epoch, 3);
    }

    #[test]
    fn a_token_issued_before_invite_epochs_reads_as_epoch_0() {
        let auth = auth();
        let now = unix_now();
        let without_epoch = serde_json::json!({
            "iss": ISSUER, "sub": "invite-0123", "room": "line-1", "role": "expert",
            "iat": now, "exp": now + 60,
        });
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &without_epoch,
            &auth.inner.encoding,
        )
        .unwrap();
        let claims = auth.verify(&token, &RoomId::new("line-1")).unwrap();
        assert_eq!(claims.epoch, 0);
    }

    #[test]
    fn expired_tampered_foreign_and_wrong_room_tokens_are_refused_each_with_its_code() {
        let auth = auth();
        let room = RoomId::new("line-1");
        let expired = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &Claims {
                iss: ISSUER.into(),
                sub: "u".into(),
                room: room.clone(),
                role: Role::Expert,
                name: None,
                epoch: 0,
                iat: unix_now() - 3600,
                exp: unix_now() - 60,
            },
            &auth.inner.encoding,
        )
        .unwrap();
        assert_eq!(
            auth.verify(&expired, &room).unwrap_err().code,
            ErrorCode::TokenExpired
        );

        let good = auth
            .issue(
                &room,
                Role::Observer,
                "u".into(),
                None,
                Duration::from_secs(60),
                0,
            )
            .unwrap()
            .token;
        // An observer who edits the claims to become a technician breaks the signature.
        let parts: Vec<&str> = good.split('.').collect();
        let claims = String::from_utf8(base64_url_decode(parts[1]))
            .unwrap()
            .replace("observer", "technician");
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            base64_url_encode(claims.as_bytes()),
            parts[2]
        );
        assert_eq!(
            auth.verify(&forged, &room).unwrap_err().code,
            ErrorCode::InvalidToken
        );

        let other_server = Auth::new(&[8; 32], None, None).unwrap();
        let foreign = other_server
            .issue(
                &room,
                Role::Expert,
                "u".into(),
                None,
                Duration::from_secs(60),
                0,
            )
            .unwrap()
            .token;
        assert_eq!(
            auth.verify(&foreign, &room).unwrap_err().code,
            ErrorCode::InvalidToken
        );
        assert_eq!(
            auth.verify("not-a-token", &room).unwrap_err().code,
            ErrorCode::InvalidToken
        );

        let err = auth.verify(&good, &RoomId::new("line-2")).unwrap_err();
        assert_eq!(err.code, ErrorCode::WrongRoom);
        assert!(err.message.contains("line-1"), "{}", err.message);
    }

    #[test]
    fn the_admin_key_must_match_exactly_and_is_off_when_unset() {
        let auth = auth();
        assert!(auth.check_admin(Some("a-long-admin-key-0123")).is_ok());
        for wrong in [
            None,
            Some(""),
            Some("a-long-admin-key-012"),
            Some("a-long-admin-key-01234"),
        ] {
            assert_eq!(
                auth.check_admin(wrong).unwrap_err().code,
                ErrorCode::Unauthorized
            );
        }
        // The metrics token opens the metrics, not the admin API; the admin key opens both.
        assert!(auth.check_metrics(Some("a-metrics-token-0123")).is_ok());
        assert!(auth.check_metrics(Some("a-long-admin-key-0123")).is_ok());
        assert!(auth.check_admin(Some("a-metrics-token-0123")).is_err());
        for wrong in [None, Some("a-metrics-token-012")] {
            assert_eq!(
                auth.check_metrics(wrong).unwrap_err().code,
                ErrorCode::Unauthorized
            );
        }
        let off = Auth::new(&[7; 32], None, None).unwrap();
        let err = off.check_admin(Some("anything")).unwrap_err();
        assert!(err.message.contains("admin_key"), "{}", err.message);
    }

    #[test]
    fn the_secret_is_created_once_then_reused() {
        let dir = std::env::temp_dir().join(format!("spotter-secret-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("token-secret");
        let first = load_or_create_secret(&path).unwrap();
        assert_eq!(first.len(), SECRET_BYTES);
        assert_eq!(load_or_create_secret(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn base64_url_decode(s: &str) -> Vec<u8> {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .unwrap()
    }

    fn base64_url_encode(b: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    }
}
