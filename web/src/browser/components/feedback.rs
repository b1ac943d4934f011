//! An inline error or note, where it happened.

use yew::prelude::*;

use crate::state::Feedback;

/// Errors are alerts (read out at once); notes are polite status lines.
pub fn view(feedback: Option<&Feedback>) -> Html {
    match feedback {
        Some(Feedback::Error(error)) => {
            html! { <p class="error" data-testid="error" role="alert">{ error.clone() }</p> }
        }
        Some(Feedback::Note(note)) => html! { <p class="note" role="status">{ note.clone() }</p> },
        None => Html::default(),
    }
}
