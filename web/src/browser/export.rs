//! Saving what the page shows as files: the trace and the snapshot.

use gloo_timers::callback::Timeout;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

use super::connection::message;

/// Offers `text` (a JS string, never copied into this module) as a JSON
/// file called `name`, as a download.
pub fn download(name: &str, text: &JsValue) -> Result<(), String> {
    let fail = |e: JsValue| format!("could not save {name}: {}", message(&e));
    let parts = js_sys::Array::of1(text);
    let options = BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options).map_err(fail)?;
    let url = Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("could not save: no document")?;
    let link: HtmlAnchorElement = document
        .create_element("a")
        .map_err(fail)?
        .dyn_into()
        .map_err(|_| format!("could not save {name}: no link element"))?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // The browser reads the blob after this click returns: free it later.
    Timeout::new(10_000, move || {
        let _ = Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

/// A JS value as indented JSON text.
pub fn pretty_json(value: &JsValue) -> Result<String, String> {
    js_sys::JSON::stringify_with_replacer_and_space(value, &JsValue::NULL, &JsValue::from(2))
        .map(String::from)
        .map_err(|e| message(&e))
}
