//! JWT access and refresh tokens.
//!
//! Access tokens are signed with JWT_SECRET, refresh tokens with
//! JWT_REFRESH_SECRET, and each carries `typ`; verification pins HS256,
//! requires every claim, allows 5 s of clock skew, and checks `typ` - so a
//! token of one kind never passes as the other, and `alg: none` or any other
//! algorithm is refused.

use chrono::{DateTime, Duration, Utc};
use equoria_application::accounts::{
    AccessClaims, IssuedTokens, NewRefreshToken, RefreshClaims, TokenError, TokenIssuer,
};
use equoria_domain::UserId;
use equoria_domain::account::Role;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Access token lifetime (15 minutes, docs/API.md).
pub const ACCESS_TTL: Duration = Duration::minutes(15);
/// Refresh token lifetime (7 days, docs/API.md).
pub const REFRESH_TTL: Duration = Duration::days(7);
/// Clock skew tolerated when checking `exp`.
pub const LEEWAY_SECS: u64 = 5;

const ACCESS: &str = "access";
const REFRESH: &str = "refresh";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    typ: String,
    iat: i64,
    exp: i64,
    jti: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fam: Option<String>,
}

/// HS256 token issuer with distinct keys per token kind.
pub struct Jwt {
    access_encoding: EncodingKey,
    access_decoding: DecodingKey,
    refresh_encoding: EncodingKey,
    refresh_decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for Jwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Jwt([REDACTED])")
    }
}

impl Jwt {
    pub fn new(access_secret: &[u8], refresh_secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        Self {
            access_encoding: EncodingKey::from_secret(access_secret),
            access_decoding: DecodingKey::from_secret(access_secret),
            refresh_encoding: EncodingKey::from_secret(refresh_secret),
            refresh_decoding: DecodingKey::from_secret(refresh_secret),
            validation,
        }
    }

    fn sign(&self, claims: &Claims, key: &EncodingKey) -> Result<String, TokenError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, key)
            .map_err(|e| TokenError(e.to_string()))
    }

    fn decode(&self, token: &str, key: &DecodingKey, typ: &str) -> Result<Claims, TokenError> {
        let claims = jsonwebtoken::decode::<Claims>(token, key, &self.validation)
            .map_err(|e| TokenError(e.to_string()))?
            .claims;
        if claims.typ != typ {
            return Err(TokenError(format!("expected a {typ} token")));
        }
        Ok(claims)
    }
}

fn user_id(claims: &Claims) -> Result<UserId, TokenError> {
    claims
        .sub
        .parse::<i64>()
        .map(UserId::new)
        .map_err(|_| TokenError("malformed subject".to_owned()))
}

impl TokenIssuer for Jwt {
    fn issue(
        &self,
        user_id: UserId,
        role: Role,
        family_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<IssuedTokens, TokenError> {
        let access = Claims {
            sub: user_id.to_string(),
            typ: ACCESS.to_owned(),
            iat: now.timestamp(),
            exp: (now + ACCESS_TTL).timestamp(),
            jti: Uuid::new_v4().to_string(),
            role: Some(role.as_str().to_owned()),
            fam: None,
        };
        let refresh_id = Uuid::new_v4();
        let refresh_expires = now + REFRESH_TTL;
        let refresh = Claims {
            sub: user_id.to_string(),
            typ: REFRESH.to_owned(),
            iat: now.timestamp(),
            exp: refresh_expires.timestamp(),
            jti: refresh_id.to_string(),
            role: None,
            fam: Some(family_id.to_string()),
        };
        let refresh_token = self.sign(&refresh, &self.refresh_encoding)?;
        Ok(IssuedTokens {
            access_token: self.sign(&access, &self.access_encoding)?,
            expires_in: ACCESS_TTL.num_seconds(),
            refresh: NewRefreshToken {
                id: refresh_id,
                user_id,
                family_id,
                token_hash: self.hash_refresh(&refresh_token),
                expires_at: refresh_expires,
            },
            refresh_token,
        })
    }

    fn verify_access(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let claims = self.decode(token, &self.access_decoding, ACCESS)?;
        let role = claims
            .role
            .as_deref()
            .ok_or_else(|| TokenError("missing role".to_owned()))?
            .parse::<Role>()
            .map_err(|_| TokenError("unknown role".to_owned()))?;
        Ok(AccessClaims {
            user_id: user_id(&claims)?,
            role,
        })
    }

    fn verify_refresh(&self, token: &str) -> Result<RefreshClaims, TokenError> {
        let claims = self.decode(token, &self.refresh_decoding, REFRESH)?;
        let family_id = claims
            .fam
            .as_deref()
            .and_then(|f| Uuid::parse_str(f).ok())
            .ok_or_else(|| TokenError("missing family".to_owned()))?;
        Ok(RefreshClaims {
            user_id: user_id(&claims)?,
            family_id,
        })
    }

    /// SHA-256, hex: a leaked table of hashes does not yield usable tokens.
    fn hash_refresh(&self, token: &str) -> String {
        Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}
