//! Keys derived from the instance secret, sealing of credentials, and token hashing.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::{Digest, Sha256};

use crate::error::{DomainError, Result};

const NONCE_LEN: usize = 24;

/// Everything secret the hub derives from its one configured secret. Separate HKDF labels keep the credential
/// key and the token-signing key independent, so leaking one never yields the other.
pub struct Keys {
    sealing: XChaCha20Poly1305,
    jwt: [u8; 32],
}

impl Keys {
    pub fn from_secret(secret: &[u8]) -> Self {
        let hk = Hkdf::<Sha256>::new(Some(b"integration-hub"), secret);
        let mut sealing = [0u8; 32];
        let mut jwt = [0u8; 32];
        hk.expand(b"credentials-sealing-v1", &mut sealing)
            .expect("32 bytes is a valid HKDF length");
        hk.expand(b"access-token-signing-v1", &mut jwt)
            .expect("32 bytes is a valid HKDF length");
        Self {
            sealing: XChaCha20Poly1305::new((&sealing).into()),
            jwt,
        }
    }

    pub fn jwt_key(&self) -> &[u8] {
        &self.jwt
    }

    /// Encrypts with a random nonce; `context` (the owning row's id) is bound as associated data so a sealed value
    /// copied to another row does not open.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce);
        let sealed = self
            .sealing
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return Err(DomainError::Internal("sealed value is truncated".into()));
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        self.sealing
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: context,
                },
            )
            .map_err(|_| DomainError::Internal("stored credentials do not open with this instance's secret key".into()))
    }
}

pub fn fill_random(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the operating system's random source is available");
}

/// A URL-safe random token with `bytes` bytes of entropy.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    fill_random(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// Tokens we hand out (refresh tokens, API keys) are high-entropy, so a fast hash is enough to store them safely.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_in_their_own_context_and_with_their_own_key() {
        let keys = Keys::from_secret(b"one secret");
        let sealed = keys.seal(b"{\"token\":\"abc\"}", b"row-1");
        assert_eq!(keys.open(&sealed, b"row-1").unwrap(), b"{\"token\":\"abc\"}");
        assert!(keys.open(&sealed, b"row-2").is_err());
        assert!(Keys::from_secret(b"another secret").open(&sealed, b"row-1").is_err());
        assert!(!sealed.windows(3).any(|w| w == b"abc"));
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() {
        let keys = Keys::from_secret(b"s");
        assert_ne!(keys.seal(b"x", b"c"), keys.seal(b"x", b"c"));
    }
}
