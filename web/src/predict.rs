//! "What happens next?": before a lesson's key step, an optional question
//! with a few answers; once the step has happened, the answer, told from
//! what the run really did (the narrator's measure of it), not from a
//! canned text.

use crate::narration::Narrator;

/// What a learner may expect a worker asked to pause to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guess {
    /// It reaches a pause point within moments and pauses.
    AtOnce,
    /// It goes on until the work it is in ends, then pauses.
    AfterItsWork,
    /// The manager stops its thread on the spot, wherever it is.
    OnTheSpot,
}

/// A question about one worker, asked before the script asks it to pause.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub worker: &'static str,
    pub prompt: String,
    pub choices: Vec<(Guess, String)>,
}

fn pause_question(worker: &'static str, what_it_does: &str) -> Question {
    Question {
        worker,
        prompt: format!(
            "The script is about to ask {worker} to pause. {what_it_does} What will {worker} do?"
        ),
        choices: vec![
            (
                Guess::AtOnce,
                "Pause almost at once: it reaches a pause point within a few hundred milliseconds."
                    .to_owned(),
            ),
            (
                Guess::AfterItsWork,
                "Go on until the piece of work it is in ends, then pause.".to_owned(),
            ),
            (
                Guess::OnTheSpot,
                "Stop on the spot: the manager freezes its thread wherever it is.".to_owned(),
            ),
        ],
    }
}

/// The questions of scenario `id`, in the order their steps come.
pub fn questions(id: &str) -> Vec<Question> {
    match id {
        "pause-points" => vec![
            pause_question(
                "quick",
                "It does an item every 100 ms, with a pause point between items.",
            ),
            pause_question(
                "batch",
                "It does items of 3 s in one piece: a blocking call, with no pause point inside.",
            ),
        ],
        _ => Vec::new(),
    }
}

/// What the run did, once it has: the guess that matches and the words.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub happened: Guess,
    pub text: String,
}

/// The answer to `q`, from what `narrator` measured; `None` until the
/// worker has paused after a request.
pub fn answer(q: &Question, narrator: &Narrator) -> Option<Answer> {
    let wait = narrator.pause_waits.get(q.worker)?;
    let w = q.worker;
    let (happened, text) = if wait.long {
        (
            Guess::AfterItsWork,
            format!(
                "{w} paused {} after the request: it was inside work with no pause point, and finished it first.",
                wait.lasted
            ),
        )
    } else {
        (
            Guess::AtOnce,
            format!(
                "{w} paused {} after the request, at its next pause point.",
                wait.lasted
            ),
        )
    };
    Some(Answer { happened, text })
}

/// What to tell a learner who picked `picked` (if anything) about `answer`.
pub fn verdict(picked: Option<Guess>, answer: &Answer) -> String {
    let freeze = "The manager never freezes a thread from outside (it might hold a lock, or be halfway through an update): it asks, and the worker pauses at a pause point.";
    match picked {
        None => answer.text.clone(),
        Some(p) if p == answer.happened => format!("Yes. {}", answer.text),
        Some(Guess::OnTheSpot) => format!("Not so. {} {freeze}", answer.text),
        Some(_) => format!("Not this time. {}", answer.text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures;
    use crate::model::EventKind;

    #[test]
    fn the_answer_comes_from_what_the_run_did() {
        let mut n = Narrator::at_speed(1.0);
        let qs = questions("pause-points");
        assert_eq!(qs.len(), 2);
        assert!(
            answer(&qs[1], &n).is_none(),
            "nothing to tell before the pause"
        );
        // quick pauses 40 ms after the request, batch 2.1 s after it.
        // batch is seen inside its blocking call before the request.
        n.sample(&fixtures::in_blocking_call(1_400.0, "batch"));
        for (w, asked, paused) in [("quick", 1_500.0, 1_540.0), ("batch", 1_500.0, 3_600.0)] {
            n.event(&fixtures::event(asked, Some(w), EventKind::PauseRequested));
            n.event(&fixtures::event(
                paused,
                Some(w),
                EventKind::Paused { by_itself: false },
            ));
        }
        let quick = answer(&qs[0], &n).unwrap();
        let batch = answer(&qs[1], &n).unwrap();
        assert_eq!(
            (quick.happened, batch.happened),
            (Guess::AtOnce, Guess::AfterItsWork)
        );
        assert!(
            batch.text.contains("batch paused 2.1 s after the request"),
            "{}",
            batch.text
        );
        assert!(quick.text.contains("40 ms"), "{}", quick.text);
        assert!(verdict(Some(Guess::AfterItsWork), &batch).starts_with("Yes."));
        assert!(verdict(Some(Guess::AtOnce), &batch).starts_with("Not this time."));
        assert!(verdict(Some(Guess::OnTheSpot), &quick).contains("never freezes a thread"));
        assert_eq!(verdict(None, &quick), quick.text);
    }

    #[test]
    fn a_pause_the_worker_took_itself_answers_no_question() {
        let mut n = Narrator::at_speed(1.0);
        n.event(&fixtures::event(
            1_000.0,
            Some("quick"),
            EventKind::Paused { by_itself: true },
        ));
        assert!(answer(&questions("pause-points")[0], &n).is_none());
        assert!(questions("seed").is_empty());
    }
}
