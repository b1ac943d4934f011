//! "What happens next?": a lesson's optional questions before its key
//! steps, each answered once the step has happened, from what the run did.

use std::collections::BTreeMap;

use yew::prelude::*;

use super::shared::Shared;
use crate::browser::renders;
use crate::narration::Narrator;
use crate::predict::{answer, questions, verdict, Guess};

#[derive(Properties, PartialEq)]
pub struct PredictProps {
    /// The running scenario's id.
    pub scenario: AttrValue,
    pub narrator: Shared<Narrator>,
}

#[function_component(PredictPanel)]
pub fn predict_panel(props: &PredictProps) -> Html {
    renders::count("PredictPanel");
    let picks = use_state(BTreeMap::<&'static str, Guess>::new);
    let asked = use_memo(props.scenario.clone(), |id| questions(id));
    if asked.is_empty() {
        return Html::default();
    }
    html! {
        <section class="panel predict" aria-labelledby="predict-title">
            <h2 id="predict-title">{ "What happens next?" }</h2>
            <p class="hint">{ "Optional: pick an answer before the script's step. Once the step has happened, the answer appears here, from what this run did." }</p>
            { for asked.iter().map(|q| {
                let told = answer(q, &props.narrator.0);
                let picked = picks.get(q.worker).copied();
                let name = format!("predict-{}", q.worker);
                html! {
                    <fieldset data-testid="predict-question" data-worker={q.worker}>
                        <legend>{ q.prompt.clone() }</legend>
                        { for q.choices.iter().map(|(guess, text)| {
                            let onchange = {
                                let (picks, worker, guess) = (picks.clone(), q.worker, *guess);
                                Callback::from(move |_: Event| {
                                    let mut now = (*picks).clone();
                                    now.insert(worker, guess);
                                    picks.set(now);
                                })
                            };
                            html! {
                                <label class="choice">
                                    <input type="radio" name={name.clone()} data-testid="predict-choice"
                                        checked={picked == Some(*guess)} disabled={told.is_some()} {onchange} />
                                    { format!(" {text}") }
                                </label>
                            }
                        }) }
                        <p data-testid="predict-answer" aria-live="polite">
                            { match &told {
                                Some(a) => verdict(picked, a),
                                None => format!("The answer appears here once {} has paused.", q.worker),
                            } }
                        </p>
                    </fieldset>
                }
            }) }
        </section>
    }
}
