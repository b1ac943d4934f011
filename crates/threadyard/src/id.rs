//! Worker ids: short, printable, unique names.

use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};
use thiserror::Error;

/// The longest id accepted, in bytes.
pub const MAX_ID_LEN: usize = 64;

/// An id that cannot name a worker.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum IdError {
    /// The id is the empty string.
    #[error("worker id is empty: give each worker a short printable name such as \"worker_0\"")]
    Empty,
    /// The id is longer than [`MAX_ID_LEN`] bytes.
    #[error("worker id is {len} bytes long: ids are at most {MAX_ID_LEN} bytes")]
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The id contains a control character (newline, tab, escape...).
    #[error("worker id has the control character {ch:?} at byte {index}: ids must be printable")]
    ControlCharacter {
        /// Byte offset of the character.
        index: usize,
        /// The character.
        ch: char,
    },
    /// The id contains a character that prints as nothing or reorders the
    /// text around it (zero-width, bidirectional control...).
    #[error("worker id has the invisible character {ch:?} at byte {index}: ids must read as what they are")]
    Invisible {
        /// Byte offset of the character.
        index: usize,
        /// The character.
        ch: char,
    },
    /// The id contains whitespace other than a plain space.
    #[error(
        "worker id has the whitespace character {ch:?} at byte {index}: use a plain space or `_`"
    )]
    Whitespace {
        /// Byte offset of the character.
        index: usize,
        /// The character.
        ch: char,
    },
    /// The id starts or ends with a space (or is only spaces).
    #[error("worker id starts or ends with a space: trim it")]
    EdgeSpace,
}

/// A worker's name, validated once and then cheap to clone.
///
/// Ids are what a person types and reads (in a UI, a log, a trace), so an id
/// must look like what it is: two ids that print the same are the same id.
/// The rule:
/// * not empty, and at most [`MAX_ID_LEN`] bytes;
/// * no control character (newline, tab, escape...);
/// * no invisible character: none of Unicode's default-ignorable code points
///   (zero-width space and joiners, soft hyphen, variation selectors, tags,
///   fillers) and no bidirectional control (the overrides, embeddings,
///   isolates and marks that reorder the text around them);
/// * no whitespace other than a plain space, and no space at either end (so
///   a blank id is refused too).
///
/// Any other character is fine: `"worker 1"`, `"работник_1"`, `"🧵"`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkerId(Arc<str>);

impl WorkerId {
    /// Validates `id`.
    ///
    /// ```
    /// use threadyard::{WorkerId, IdError};
    /// assert!(WorkerId::new("worker_0").is_ok());
    /// assert_eq!(WorkerId::new(""), Err(IdError::Empty));
    /// ```
    pub fn new(id: &str) -> Result<Self, IdError> {
        if id.is_empty() {
            return Err(IdError::Empty);
        }
        if id.len() > MAX_ID_LEN {
            return Err(IdError::TooLong { len: id.len() });
        }
        if let Some((index, ch)) = id.char_indices().find(|(_, c)| c.is_control()) {
            return Err(IdError::ControlCharacter { index, ch });
        }
        if let Some((index, ch)) = id.char_indices().find(|&(_, c)| is_invisible(c)) {
            return Err(IdError::Invisible { index, ch });
        }
        if let Some((index, ch)) = id
            .char_indices()
            .find(|&(_, c)| c.is_whitespace() && c != ' ')
        {
            return Err(IdError::Whitespace { index, ch });
        }
        if id.starts_with(' ') || id.ends_with(' ') {
            return Err(IdError::EdgeSpace);
        }
        Ok(Self(Arc::from(id)))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt,
/// Unicode 15.1), which takes in the bidirectional controls too: characters
/// that print as nothing, or that silently reorder what follows them.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

impl fmt::Display for WorkerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for WorkerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl AsRef<str> for WorkerId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for WorkerId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for WorkerId {
    type Error = IdError;
    fn try_from(id: &str) -> Result<Self, IdError> {
        Self::new(id)
    }
}

impl Serialize for WorkerId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn names_people_use_are_accepted() {
        for id in ["worker_0", "worker 1", "работник_1", "🧵", "a-b.c"] {
            assert!(WorkerId::new(id).is_ok(), "{id:?}");
        }
    }

    #[test]
    fn names_that_do_not_look_like_themselves_are_refused() {
        assert_eq!(WorkerId::new("   "), Err(IdError::EdgeSpace));
        assert_eq!(WorkerId::new(" w"), Err(IdError::EdgeSpace));
        assert_eq!(WorkerId::new("w "), Err(IdError::EdgeSpace));
        assert_eq!(
            WorkerId::new("a\u{2028}b"),
            Err(IdError::Whitespace {
                index: 1,
                ch: '\u{2028}'
            })
        );
        assert_eq!(
            WorkerId::new("\u{00A0}"),
            Err(IdError::Whitespace {
                index: 0,
                ch: '\u{00A0}'
            })
        );
        for (id, ch) in [
            ("w\u{200B}", '\u{200B}'),
            ("w\u{200D}x", '\u{200D}'),
            ("\u{202E}w", '\u{202E}'),
            ("w\u{2066}", '\u{2066}'),
            ("w\u{FEFF}", '\u{FEFF}'),
            ("w\u{E0041}", '\u{E0041}'),
        ] {
            assert!(
                matches!(WorkerId::new(id), Err(IdError::Invisible { ch: c, .. }) if c == ch),
                "{id:?}"
            );
        }
    }
}
