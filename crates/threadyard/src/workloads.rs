//! Ready-made tasks for demos, teaching and tests.

use std::time::Duration;

use web_time::Instant;

use crate::error::TaskError;
use crate::worker::Worker;

/// The seed's data processor: processes one item every `item`, pauses itself
/// on the message `"pause"`, finishes on `"shutdown"`, and records any other
/// message as an error.
///
/// Items are scheduled against deadlines, so a slow wakeup does not make the
/// worker fall behind; after a pause the schedule starts afresh instead of
/// catching up on the items it missed.
pub fn data_processor<T>(
    item: Duration,
) -> impl FnMut(&Worker<T>) -> Result<(), TaskError> + Send + 'static
where
    T: AsRef<str> + Send + 'static,
{
    move |w| {
        let mut due = Instant::now() + item;
        loop {
            w.pause_point()?;
            let wait = due.saturating_duration_since(Instant::now());
            let Some(message) = w.recv_timeout(wait)? else {
                w.task_done();
                due += item;
                continue;
            };
            match message.as_ref() {
                "pause" => {
                    w.pause_self()?;
                    due = Instant::now() + item;
                }
                "shutdown" => return Ok(()),
                other => w.record_error(format_args!(
                    "unknown message {other:?}: expected \"pause\" or \"shutdown\""
                )),
            }
        }
    }
}
