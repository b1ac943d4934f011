//! Runs a client's command on the manager and says what came of it: the
//! result as JSON, or a refusal that names the problem. The manager's own
//! checks decide; this only translates.

use std::any::Any;
use std::time::Duration;

use serde_json::Value;
use threadyard::{ControlError, SendError, Yard};

use crate::options::Decoder;
use crate::protocol::{Command, ErrorCode, Refusal};

/// Longest shutdown deadline a client may ask for.
const MAX_SHUTDOWN: Duration = Duration::from_secs(60);

/// Runs `command`. `decoder` is the caller's, or `None` (then a
/// `Yard<String>` takes JSON strings as they are, and any other yard
/// refuses `send` and `broadcast`).
pub(crate) fn run<T: Clone + Send + 'static>(
    yard: &Yard<T>,
    command: &Command,
    decoder: Option<&Decoder<T>>,
) -> Result<Value, Refusal> {
    let null = |()| Value::Null;
    match command {
        Command::Pause { worker, .. } => yard.pause(worker).map(null).map_err(control),
        Command::Resume { worker, .. } => yard.resume(worker).map(null).map_err(control),
        Command::Stop { worker, .. } => yard.stop(worker).map(null).map_err(control),
        Command::Remove { worker, .. } => yard
            .remove(worker)
            .map_err(control)
            .and_then(|snapshot| to_json(&snapshot)),
        Command::Send {
            worker, message, ..
        } => {
            let message = decode(message, decoder)?;
            yard.send(worker, message).map(null).map_err(send)
        }
        Command::Broadcast { message, .. } => {
            let message = decode(message, decoder)?;
            to_json(&yard.broadcast(message))
        }
        Command::Shutdown { timeout_ms, .. } => {
            let timeout = shutdown_timeout(*timeout_ms)?;
            to_json(&yard.shutdown(timeout))
        }
    }
}

fn shutdown_timeout(ms: f64) -> Result<Duration, Refusal> {
    if ms.is_finite() && (0.0..=MAX_SHUTDOWN.as_secs_f64() * 1e3).contains(&ms) {
        Ok(Duration::from_secs_f64(ms / 1e3))
    } else {
        Err(Refusal::new(
            ErrorCode::BadCommand,
            format!(
                "shutdown: timeout_ms {ms} is out of range: use 0 to {}",
                MAX_SHUTDOWN.as_millis()
            ),
        ))
    }
}

fn decode<T: 'static>(message: &Value, decoder: Option<&Decoder<T>>) -> Result<T, Refusal> {
    let bad = |why: String| Refusal::new(ErrorCode::BadMessage, why);
    if let Some(decode) = decoder {
        return decode(message).map_err(bad);
    }
    // A `Yard<String>` needs no decoder: a JSON string is its message. Told
    // apart by type, with no unsafe: the String is boxed as `Any` and taken
    // back out as the `T` it is.
    let as_string: Option<Box<dyn Any>> = (std::any::TypeId::of::<T>()
        == std::any::TypeId::of::<String>())
    .then(|| match message {
        Value::String(text) => Ok(Box::new(text.clone()) as Box<dyn Any>),
        other => Err(other),
    })
    .transpose()
    .map_err(|other| {
        bad(format!(
            "this manager's messages are strings; got {}: send a JSON string",
            kind(other)
        ))
    })?;
    as_string
        .and_then(|boxed| boxed.downcast::<T>().ok())
        .map(|t| *t)
        .ok_or_else(|| {
            Refusal::new(
                ErrorCode::NoDecoder,
                "this server was given no decoder for the manager's messages, so it cannot send or broadcast: the program must pass ServeOptions::decoder",
            )
        })
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn to_json(value: &impl serde::Serialize) -> Result<Value, Refusal> {
    serde_json::to_value(value).map_err(|e| Refusal::new(ErrorCode::Refused, e.to_string()))
}

pub(crate) fn control(error: ControlError) -> Refusal {
    let code = match &error {
        ControlError::UnknownWorker { .. } => ErrorCode::UnknownWorker,
        ControlError::InvalidTransition { .. } => ErrorCode::InvalidTransition,
        ControlError::ShutDown => ErrorCode::ShutDown,
        _ => ErrorCode::Refused,
    };
    Refusal::new(code, error.to_string())
}

fn send<T>(error: SendError<T>) -> Refusal {
    let code = match &error {
        SendError::UnknownWorker { .. } => ErrorCode::UnknownWorker,
        SendError::Full { .. } => ErrorCode::MailboxFull,
        SendError::Finished { .. } => ErrorCode::Finished,
        _ => ErrorCode::Refused,
    };
    Refusal::new(code, error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_need_no_decoder_and_other_types_refuse_without_one() {
        let text: String = decode(&serde_json::json!("pause"), None).unwrap();
        assert_eq!(text, "pause");
        let wrong = decode::<String>(&serde_json::json!(3), None).unwrap_err();
        assert_eq!(wrong.error, ErrorCode::BadMessage);
        let none = decode::<u32>(&serde_json::json!(3), None).unwrap_err();
        assert_eq!(none.error, ErrorCode::NoDecoder);
        let decoder: Decoder<u32> = std::sync::Arc::new(|v: &Value| {
            v.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| "not a u32".to_owned())
        });
        assert_eq!(decode(&serde_json::json!(3), Some(&decoder)).unwrap(), 3);
        assert_eq!(
            decode(&serde_json::json!("x"), Some(&decoder))
                .unwrap_err()
                .error,
            ErrorCode::BadMessage
        );
    }

    #[test]
    fn shutdown_deadlines_out_of_range_are_refused() {
        for bad in [-1.0, f64::NAN, f64::INFINITY, 60_001.0] {
            assert_eq!(
                shutdown_timeout(bad).unwrap_err().error,
                ErrorCode::BadCommand
            );
        }
        assert_eq!(
            shutdown_timeout(1500.0).unwrap(),
            Duration::from_millis(1500)
        );
    }
}
