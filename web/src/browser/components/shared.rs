//! Props that hold a large part of the state.

use std::ops::Deref;
use std::rc::Rc;

/// A large part of the state, compared by identity: the reducer makes a new
/// one whenever it changes (see `state::renew`), so an unchanged pointer
/// means unchanged content, and comparing costs nothing.
#[derive(Debug)]
pub struct Shared<T>(pub Rc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Self(Rc::clone(&self.0))
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> From<&Rc<T>> for Shared<T> {
    fn from(rc: &Rc<T>) -> Self {
        Self(Rc::clone(rc))
    }
}
