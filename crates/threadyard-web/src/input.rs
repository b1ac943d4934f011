//! Reading what JavaScript passes in, checked in Rust before anything is
//! borrowed or allocated on its behalf.
//!
//! Every argument arrives as a `JsValue` (a handle, which wasm-bindgen's glue
//! passes without converting it): the glue's own conversions would run the
//! caller's code (`valueOf`, a getter) or throw (a BigInt, a Symbol) at a
//! point where neither can be answered with a typed error, and a non-string
//! where a `&str` is expected is read as a pointer. Here types are checked
//! with `typeof` alone (no caller code runs), lengths are checked before a
//! string is copied, numbers must be finite, and structured values (options,
//! workloads, messages) are read into JSON through [`json`], with a depth
//! limit, cycle detection and a size budget. Every JavaScript operation that
//! can run the caller's code (a getter, a Proxy trap) goes through an import
//! marked `catch`, so what it throws comes back here as a value.

use std::fmt::Display;

use js_sys::JsString;
use serde_json::{Map, Number, Value};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn is_array(value: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Object, js_name = keys)]
    fn object_keys(value: &JsValue) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Reflect, js_name = get)]
    fn get(target: &JsValue, key: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ArrayBuffer, js_name = isView)]
    fn is_buffer_view(value: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["Object", "prototype", "toString"], js_name = call)]
    fn tag_of(value: &JsValue) -> Result<JsString, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["Map", "prototype", "entries"], js_name = call)]
    fn map_entries(value: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Array, js_name = from)]
    fn array_from(value: &JsValue) -> Result<js_sys::Array, JsValue>;
}

/// A JS `Error` whose `name` is the kind and whose message is `what`.
pub fn error(kind: &str, what: impl Display) -> JsValue {
    let error = js_sys::Error::new(&what.to_string());
    error.set_name(kind);
    error.into()
}

/// Names a value's type for an error message, without running any of its
/// code (no `toString`, no getters).
pub fn describe(value: &JsValue) -> String {
    if value.is_null() {
        return "null".into();
    }
    if let Some(n) = value.as_f64() {
        return format!("the number {n}");
    }
    if let Some(on) = value.as_bool() {
        return format!("the boolean {on}");
    }
    match value.js_typeof().as_string().as_deref() {
        Some("undefined") => "undefined".into(),
        Some("string") => "a string".into(),
        Some("bigint") => "a BigInt".into(),
        Some("symbol") => "a Symbol".into(),
        Some("function") => "a function".into(),
        _ => "an object".into(),
    }
}

/// A string argument of at most `max` UTF-16 units (checked before it is
/// copied); `what` names the argument in errors (`ArgumentError`).
pub fn string(value: &JsValue, what: &str, max: usize) -> Result<String, JsValue> {
    let Some(text) = value.dyn_ref::<JsString>() else {
        return Err(error(
            "ArgumentError",
            format_args!("{what} must be a string, got {}", describe(value)),
        ));
    };
    let len = text.length() as usize;
    if len > max {
        return Err(error(
            "ArgumentError",
            format_args!("{what} is {len} characters long: at most {max} are accepted"),
        ));
    }
    Ok(String::from(text))
}

/// A worker id: a string of at most `threadyard::MAX_ID_LEN` bytes (the
/// core checks the rest: empty, control characters).
pub fn id(value: &JsValue, method: &str) -> Result<String, JsValue> {
    let id = string(value, &format!("{method}(id): id"), threadyard::MAX_ID_LEN)?;
    if id.len() > threadyard::MAX_ID_LEN {
        return Err(error(
            "ArgumentError",
            format_args!(
                "{method}(id): id is {} bytes long: ids are at most {} bytes",
                id.len(),
                threadyard::MAX_ID_LEN
            ),
        ));
    }
    Ok(id)
}

/// A finite number (`OptionsError` otherwise); `what` names it.
pub fn number(value: &JsValue, what: &str) -> Result<f64, JsValue> {
    match value.as_f64() {
        Some(n) if n.is_finite() => Ok(n),
        Some(n) => Err(error(
            "OptionsError",
            format_args!("{what} is {n}: give a finite number"),
        )),
        None => Err(error(
            "OptionsError",
            format_args!("{what} must be a number, got {}", describe(value)),
        )),
    }
}

/// The longest timeout `setTimeout` takes, in ms (about 24.8 days).
pub const MAX_TIMEOUT_MS: f64 = i32::MAX as f64;

/// A timeout in milliseconds: a finite number from 0 to [`MAX_TIMEOUT_MS`].
pub fn timeout_ms(value: &JsValue, what: &str) -> Result<f64, JsValue> {
    let ms = number(value, what)?;
    if !(0.0..=MAX_TIMEOUT_MS).contains(&ms) {
        return Err(error(
            "OptionsError",
            format_args!("{what} {ms} is out of range: use 0 to {MAX_TIMEOUT_MS} ms"),
        ));
    }
    Ok(ms)
}

/// How much of a structured value [`json`] reads before refusing it.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Objects and arrays inside one another.
    pub depth: usize,
    /// Values in all.
    pub nodes: usize,
    /// Characters of text (strings and keys) in all.
    pub text: usize,
}

/// Reads a structured value as JSON data: strings, finite numbers, booleans,
/// null, arrays and objects (their own enumerable string keys). `undefined`
/// in an object leaves the key out and in an array reads as null, as
/// `JSON.stringify` does. Refused with a `kind` error, naming the place
/// (`what.key[3]`): a BigInt, a Symbol, a function, NaN or ±Infinity, a
/// cycle, a value deeper or larger than `budget`, and anything a getter or
/// Proxy trap throws while it is read.
pub fn json(value: &JsValue, what: &str, kind: &str, budget: Budget) -> Result<Value, JsValue> {
    let mut reader = Reader {
        kind,
        budget,
        nodes: 0,
        text: 0,
        path: Vec::new(),
    };
    reader.read(value, what)
}

struct Reader<'a> {
    kind: &'a str,
    budget: Budget,
    nodes: usize,
    text: usize,
    /// The objects being read, outermost first: a value among them is a cycle.
    path: Vec<JsValue>,
}

impl Reader<'_> {
    fn refuse(&self, what: impl Display) -> JsValue {
        error(self.kind, what)
    }

    /// `thrown` as the cause of a typed error: the caller's exception is kept,
    /// never looked into (its getters are the caller's code too).
    fn threw(&self, place: &str, thrown: JsValue) -> JsValue {
        let e = self.refuse(format_args!(
            "reading {place} threw an exception (a getter or Proxy trap); pass plain data"
        ));
        let _ = js_sys::Reflect::set(&e, &JsValue::from_str("cause"), &thrown);
        e
    }

    fn take_text(&mut self, place: &str, len: usize) -> Result<(), JsValue> {
        self.text = self.text.saturating_add(len);
        if self.text > self.budget.text {
            return Err(self.refuse(format_args!(
                "{place} is too large: at most {} characters of text in all",
                self.budget.text
            )));
        }
        Ok(())
    }

    fn read(&mut self, value: &JsValue, place: &str) -> Result<Value, JsValue> {
        self.nodes += 1;
        if self.nodes > self.budget.nodes {
            return Err(self.refuse(format_args!(
                "{place}: too many values: at most {} in all",
                self.budget.nodes
            )));
        }
        if value.is_null() || value.is_undefined() {
            return Ok(Value::Null);
        }
        if let Some(on) = value.as_bool() {
            return Ok(Value::Bool(on));
        }
        if let Some(n) = value.as_f64() {
            return number_value(n).ok_or_else(|| {
                self.refuse(format_args!(
                    "{place} is {n}: numbers must be finite (NaN and Infinity are not data)"
                ))
            });
        }
        if let Some(text) = value.dyn_ref::<JsString>() {
            self.take_text(place, text.length() as usize)?;
            return Ok(Value::String(text.into()));
        }
        if !value.is_object() {
            return Err(self.refuse(format_args!(
                "{place} is {}: only JSON data is accepted (strings, finite numbers, booleans, null, arrays, plain objects)",
                describe(value)
            )));
        }
        if self.path.iter().any(|outer| outer == value) {
            return Err(self.refuse(format_args!(
                "{place} refers back to a value that contains it (a cycle): pass data without cycles"
            )));
        }
        if self.path.len() >= self.budget.depth {
            return Err(self.refuse(format_args!(
                "{place} is nested too deep: at most {} levels",
                self.budget.depth
            )));
        }
        self.path.push(value.clone());
        let read = if is_array(value).map_err(|e| self.threw(place, e))? {
            self.array(value, place)
        } else {
            self.object(value, place)
        };
        self.path.pop();
        read
    }

    fn array(&mut self, value: &JsValue, place: &str) -> Result<Value, JsValue> {
        let len = get(value, &JsValue::from_str("length")).map_err(|e| self.threw(place, e))?;
        let len = len
            .as_f64()
            .filter(|n| n.fract() == 0.0 && *n >= 0.0)
            .ok_or_else(|| self.refuse(format_args!("{place} has no valid length")))?;
        if len > (self.budget.nodes - self.nodes) as f64 {
            return Err(self.refuse(format_args!(
                "{place} has {len} items: at most {} values in all",
                self.budget.nodes
            )));
        }
        let mut items = Vec::with_capacity(len as usize);
        for i in 0..len as u32 {
            let inner = format!("{place}[{i}]");
            let item = get(value, &JsValue::from(i)).map_err(|e| self.threw(&inner, e))?;
            items.push(self.read(&item, &inner)?);
        }
        Ok(Value::Array(items))
    }

    fn object(&mut self, value: &JsValue, place: &str) -> Result<Value, JsValue> {
        if value.is_function() {
            return Err(self.refuse(format_args!("{place} is a function: pass data")));
        }
        // A typed array's keys are its indices: listing a 100 MB one would
        // hold the page for seconds before its size could be refused.
        if is_buffer_view(value).unwrap_or(true) {
            return Err(self.refuse(format_args!(
                "{place} is binary data (a typed array or DataView): pass JSON data"
            )));
        }
        // serde-wasm-bindgen's default serializer makes maps into `Map`s:
        // read one with string keys as an object.
        if tag_of(value).map_err(|e| self.threw(place, e))? == "[object Map]" {
            return self.map(value, place);
        }
        let keys = object_keys(value).map_err(|e| self.threw(place, e))?;
        let count = keys.length() as usize;
        if count > self.budget.nodes - self.nodes {
            return Err(self.refuse(format_args!(
                "{place} has {count} keys: at most {} values in all",
                self.budget.nodes
            )));
        }
        let mut map = Map::new();
        for key in keys.iter() {
            // Object.keys gives strings; anything else (a Proxy's own keys
            // are checked by the engine) is skipped rather than trusted.
            let Some(name) = key.dyn_ref::<JsString>() else {
                continue;
            };
            self.take_text(place, name.length() as usize)?;
            let name = String::from(name);
            let inner = format!("{place}.{name}");
            let item = get(value, &key).map_err(|e| self.threw(&inner, e))?;
            if item.is_undefined() {
                continue;
            }
            let item = self.read(&item, &inner)?;
            map.insert(name, item);
        }
        Ok(Value::Object(map))
    }
}

impl Reader<'_> {
    fn map(&mut self, value: &JsValue, place: &str) -> Result<Value, JsValue> {
        let size = get(value, &JsValue::from_str("size")).map_err(|e| self.threw(place, e))?;
        let size = size.as_f64().unwrap_or(f64::INFINITY);
        if size > (self.budget.nodes - self.nodes) as f64 {
            return Err(self.refuse(format_args!(
                "{place} has {size} entries: at most {} values in all",
                self.budget.nodes
            )));
        }
        let entries = map_entries(value)
            .and_then(|it| array_from(&it))
            .map_err(|e| self.threw(place, e))?;
        let mut map = Map::new();
        for entry in entries.iter() {
            let key = get(&entry, &JsValue::from(0)).map_err(|e| self.threw(place, e))?;
            let item = get(&entry, &JsValue::from(1)).map_err(|e| self.threw(place, e))?;
            let Some(name) = key.dyn_ref::<JsString>() else {
                return Err(self.refuse(format_args!(
                    "{place} is a Map with a key that is not a string: use string keys"
                )));
            };
            self.take_text(place, name.length() as usize)?;
            let name = String::from(name);
            if item.is_undefined() {
                continue;
            }
            let inner = format!("{place}.{name}");
            let item = self.read(&item, &inner)?;
            map.insert(name, item);
        }
        Ok(Value::Object(map))
    }
}

/// A finite number as JSON: a whole number that fits as an integer (so
/// `64` reads as a count), otherwise a float; `None` for NaN and ±Infinity.
fn number_value(n: f64) -> Option<Value> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if n.fract() == 0.0 && n.abs() <= EXACT {
        // -0 reads as 0.
        return Some(Value::Number(if n < 0.0 {
            Number::from(n as i64)
        } else {
            Number::from(n as u64)
        }));
    }
    Number::from_f64(n).map(Value::Number)
}
