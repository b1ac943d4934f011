//! The secret every connection must present: 160 random bits from the
//! operating system, written as hex, compared in constant time.

use subtle::ConstantTimeEq;

/// Bytes of randomness in a token (160 bits; the issue asks for at least 128).
const TOKEN_BYTES: usize = 20;

/// A connection token.
#[derive(Clone)]
pub(crate) struct Token(String);

impl std::fmt::Debug for Token {
    // Never printed by accident (a `{:?}` of the options, a log line).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

impl Token {
    /// A fresh token from the operating system's random source.
    pub(crate) fn random() -> std::io::Result<Self> {
        let mut bytes = [0_u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| {
            std::io::Error::other(format!("no randomness for the connection token: {e}"))
        })?;
        Ok(Self(bytes.iter().map(|b| format!("{b:02x}")).collect()))
    }

    /// The token as it appears in the link.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `given` is this token. Its length is no secret (every token
    /// has the same); its bytes are compared in constant time.
    pub(crate) fn matches(&self, given: &str) -> bool {
        given.len() == self.0.len() && bool::from(given.as_bytes().ct_eq(self.0.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_fresh_and_only_match_themselves() {
        let a = Token::random().unwrap();
        let b = Token::random().unwrap();
        assert_eq!(a.as_str().len(), TOKEN_BYTES * 2);
        assert!(a.as_str().chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.as_str(), b.as_str());
        assert!(a.matches(a.as_str()));
        assert!(!a.matches(b.as_str()));
        assert!(!a.matches(&a.as_str()[1..]));
        assert!(!a.matches(""));
        assert_eq!(format!("{a:?}"), "Token(..)");
    }
}
