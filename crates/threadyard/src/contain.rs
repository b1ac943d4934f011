//! Keeping the caller's panics on the caller's side of the worker boundary.
//!
//! User code runs in more places than the task: a task's captured values
//! and the messages left in a mailbox are dropped by the core, and a panic
//! payload is itself a value with a `Drop` of its own. A panic from any of
//! them must not unwind through the core (it would skip publishing a
//! worker's end) nor kill a pooled thread (rayon aborts on an uncaught
//! panic in a Web Worker), so the core drops them through here.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

/// A payload whose `Drop` panics again and again is given up on (leaked)
/// after this many tries: a finite loop, at the cost of a few bytes.
const DROP_TRIES: usize = 8;

/// Drops `value`, catching a panic from its `Drop`. Returns that panic's
/// message, if there was one.
pub(crate) fn drop_quietly<V>(value: V) -> Option<String> {
    let payload = panic::catch_unwind(AssertUnwindSafe(move || drop(value))).err()?;
    Some(panic_text(payload))
}

/// The message of a panic payload ("panicked: ..."), dropping the payload
/// without letting a panic in its own `Drop` escape.
pub(crate) fn panic_text(payload: Box<dyn Any + Send>) -> String {
    let text = format!("panicked: {}", message(payload.as_ref()));
    let mut payload = payload;
    for _ in 0..DROP_TRIES {
        match panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            Ok(()) => return text,
            Err(again) => payload = again,
        }
    }
    std::mem::forget(payload);
    text
}

fn message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic with a non-text payload")
}

/// Runs `f` (code that may reach a `tracing` subscriber, which is the
/// caller's), catching a panic so it cannot unwind through the core.
pub(crate) fn quietly(f: impl FnOnce()) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(f)) {
        drop(panic_text(payload));
    }
}

#[cfg(test)]
mod test {
    use super::*;

    struct Bomb(u32);

    impl Drop for Bomb {
        fn drop(&mut self) {
            if self.0 > 0 {
                std::panic::panic_any(Bomb(self.0 - 1));
            }
        }
    }

    #[test]
    fn a_payload_that_panics_when_dropped_is_contained() {
        let payload = panic::catch_unwind(|| std::panic::panic_any(Bomb(3))).unwrap_err();
        assert_eq!(
            panic_text(payload),
            "panicked: a panic with a non-text payload"
        );
    }

    #[test]
    fn a_payload_that_always_panics_when_dropped_is_given_up_on() {
        let payload = panic::catch_unwind(|| std::panic::panic_any(Bomb(u32::MAX))).unwrap_err();
        assert!(panic_text(payload).starts_with("panicked"));
    }

    #[test]
    fn a_value_that_panics_when_dropped_reports_it() {
        struct Loud;
        impl Drop for Loud {
            fn drop(&mut self) {
                panic!("dropped loudly");
            }
        }
        assert_eq!(
            drop_quietly(Loud).as_deref(),
            Some("panicked: dropped loudly")
        );
        assert_eq!(drop_quietly(5), None);
    }
}
