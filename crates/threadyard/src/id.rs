//! Worker ids: short, printable, unique names.

use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};

use crate::error::IdError;

/// The longest id accepted, in bytes.
pub const MAX_ID_LEN: usize = 64;

/// A worker's name, validated once and then cheap to clone.
///
/// Ids are what a person types and reads (in a UI, a log, a trace), so they
/// must be non-empty, at most [`MAX_ID_LEN`] bytes and free of control
/// characters.
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
        Ok(Self(Arc::from(id)))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
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
