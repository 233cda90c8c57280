//! Console sessions: a user of the auth file signs in once with an access
//! key and its secret, and the browser then carries a session cookie
//! instead of signing every request with SigV4.
//!
//! A session stands for exactly that user: each call made with it is
//! checked against the user's policy as the same API call signed with the
//! key would be. The cookie is `HttpOnly` (page scripts cannot read it) and
//! `SameSite=Strict`, and a request authenticated by it must also carry the
//! `X-Stepyard-Console` header, which a cross-site page cannot send without
//! a CORS preflight that this server never grants: a forged form or link
//! gets no further than an unauthenticated request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{AuthConfig, Principal};

/// The cookie that carries a session.
pub const SESSION_COOKIE: &str = "stepyard_session";
/// The header a console request sends (its value is not checked).
pub const CONSOLE_HEADER: &str = "x-stepyard-console";
/// How long a session lasts after sign-in.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);
/// Sessions kept at most; signing in beyond it drops the oldest.
const MAX_SESSIONS: usize = 1024;

/// The sessions of one server (kept in memory: a restart signs everyone out).
#[derive(Debug, Default)]
pub struct Sessions {
    by_token: Mutex<HashMap<String, Session>>,
}

#[derive(Debug, Clone)]
struct Session {
    access_key_id: String,
    expires: Instant,
}

/// Why signing in failed (the same answer whether the key is unknown or the
/// secret wrong, so the form cannot be used to find valid keys).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("The access key ID or secret access key is not valid")]
pub struct SignInFailed;

impl Sessions {
    /// Checks `secret` against the user owning `access_key_id` and opens a
    /// session for them; returns the token for the cookie.
    pub fn sign_in(&self, auth: &AuthConfig, access_key_id: &str, secret: &str) -> Result<String, SignInFailed> {
        let user = auth
            .by_key
            .get(access_key_id)
            .and_then(|&i| auth.users.get(i))
            .ok_or(SignInFailed)?;
        // Compared as MACs, in constant time, so the time taken says nothing
        // about how much of the secret was right.
        let expected = secret_mac(&user.secret_access_key).finalize().into_bytes();
        secret_mac(secret).verify_slice(&expected).map_err(|_| SignInFailed)?;
        let token = new_token();
        let mut sessions = self.by_token.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        sessions.retain(|_, s| s.expires > now);
        if sessions.len() >= MAX_SESSIONS
            && let Some(oldest) = sessions.iter().min_by_key(|(_, s)| s.expires).map(|(t, _)| t.clone())
        {
            sessions.remove(&oldest);
        }
        sessions.insert(
            token.clone(),
            Session {
                access_key_id: access_key_id.to_owned(),
                expires: now + SESSION_LIFETIME,
            },
        );
        Ok(token)
    }

    /// The user a live session stands for.
    pub fn principal<'a>(&self, auth: &'a AuthConfig, token: &str) -> Option<&'a Principal> {
        let mut sessions = self.by_token.lock().unwrap_or_else(|e| e.into_inner());
        let session = sessions.get(token)?;
        if session.expires <= Instant::now() {
            sessions.remove(token);
            return None;
        }
        let user = auth
            .by_key
            .get(&session.access_key_id)
            .and_then(|&i| auth.users.get(i))?;
        Some(&user.principal)
    }

    /// Ends a session (signing out); an unknown token is ignored.
    pub fn sign_out(&self, token: &str) {
        self.by_token.lock().unwrap_or_else(|e| e.into_inner()).remove(token);
    }
}

fn secret_mac(secret: &str) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(b"stepyard console sign-in").expect("HMAC takes any key length");
    mac.update(secret.as_bytes());
    mac
}

/// 256 random bits, hex.
fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The session token in a `Cookie` header, if any.
pub fn token_from_cookies(cookie_header: &str) -> Option<&str> {
    cookie_header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{
        "users": [{"name": "alice", "accessKeyId": "AKIAALICE", "secretAccessKey": "alice-secret",
                   "policy": {"Statement": [{"Effect": "Allow", "Action": "states:List*", "Resource": "*"}]}}]
    }"#;

    #[test]
    fn a_session_stands_for_the_user_who_signed_in() {
        let auth = AuthConfig::parse(FILE, "auth.json").unwrap();
        let sessions = Sessions::default();
        let token = sessions.sign_in(&auth, "AKIAALICE", "alice-secret").unwrap();
        assert_eq!(token.len(), 64);
        let who = sessions.principal(&auth, &token).unwrap();
        assert_eq!(who.name(), "alice");
        assert!(who.authorize("states:ListStateMachines", "*").is_ok());
        assert!(who.authorize("states:StopExecution", "*").is_err());
        sessions.sign_out(&token);
        assert!(sessions.principal(&auth, &token).is_none());
    }

    #[test]
    fn a_wrong_secret_or_unknown_key_opens_nothing() {
        let auth = AuthConfig::parse(FILE, "auth.json").unwrap();
        let sessions = Sessions::default();
        assert_eq!(sessions.sign_in(&auth, "AKIAALICE", "alice-secreT"), Err(SignInFailed));
        assert_eq!(sessions.sign_in(&auth, "AKIAALICE", ""), Err(SignInFailed));
        assert_eq!(sessions.sign_in(&auth, "AKIANOBODY", "alice-secret"), Err(SignInFailed));
        assert!(sessions.principal(&auth, "0".repeat(64).as_str()).is_none());
    }

    #[test]
    fn the_token_is_read_from_among_other_cookies() {
        assert_eq!(token_from_cookies("a=1; stepyard_session=abc; b=2"), Some("abc"));
        assert_eq!(token_from_cookies("stepyard_session="), None);
        assert_eq!(token_from_cookies("other=1"), None);
    }
}
