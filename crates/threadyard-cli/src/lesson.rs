//! Runs a stepped lesson (lost update, deadlock, dining philosophers): one
//! schedule replayed (`--schedule 0,1,1,0`), or a search for a schedule
//! that breaks the lesson's invariant (`--explore N`).

use clap::Args;
use serde::Serialize;
use threadyard::lessons::{self, Lesson, Run};
use threadyard::{AccessOp, Chooser, EventKind, Resource};

#[derive(Args, Default)]
pub struct StepArgs {
    /// Stepped lessons only: grant steps to these workers, by index (0 is
    /// the first worker), e.g. 0,1,1,0. Once the list runs out the first
    /// worker that can go is granted.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "WORKERS",
        conflicts_with = "explore"
    )]
    schedule: Option<Vec<usize>>,
    /// Stepped lessons only: try up to N seeded schedules and print the
    /// first that breaks the lesson, and how many it tried.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    explore: Option<u32>,
}

impl StepArgs {
    /// True when a stepping option was given.
    pub fn given(&self) -> bool {
        self.schedule.is_some() || self.explore.is_some()
    }
}

#[derive(Serialize)]
struct Explored<'a> {
    lesson: &'a str,
    tried: usize,
    failing: Option<Run>,
}

pub fn run(lesson: &Lesson, args: &StepArgs, json: bool) -> Result<(), String> {
    if let Some(tries) = args.explore {
        let found = lessons::explore(lesson, tries as usize, 0).map_err(|e| e.to_string())?;
        if json {
            let doc = Explored {
                lesson: lesson.id,
                tried: found.tried,
                failing: found.failing,
            };
            say(&serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?);
            return Ok(());
        }
        say(&format!("{}: {}", lesson.title, lesson.teaches));
        match found.failing {
            Some(run) => {
                say(&format!(
                    "found a failing schedule after {} of at most {tries} tries: {}",
                    found.tried,
                    schedule_text(&run.schedule)
                ));
                say(&format!(
                    "replay it: threadyard scenario {} --schedule {}",
                    lesson.id,
                    schedule_text(&run.schedule)
                ));
                tell(lesson, &run);
            }
            None => say(&format!(
                "no schedule broke it in {} tries. {}",
                found.tried, lesson.when_held
            )),
        }
        return Ok(());
    }
    let schedule = args.schedule.clone().unwrap_or_default();
    if let Some(bad) = schedule.iter().find(|&&i| i >= lesson.cast.len()) {
        return Err(format!(
            "--schedule names worker {bad}, but {} has workers 0 to {}",
            lesson.id,
            lesson.cast.len() - 1
        ));
    }
    let run = lessons::run(lesson, Chooser::Fixed { schedule }).map_err(|e| e.to_string())?;
    if json {
        say(&serde_json::to_string_pretty(&run).map_err(|e| e.to_string())?);
        return Ok(());
    }
    say(&format!("{}: {}", lesson.title, lesson.teaches));
    say(&format!("try: {}", lesson.try_this));
    tell(lesson, &run);
    Ok(())
}

fn schedule_text(schedule: &[usize]) -> String {
    schedule
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The run, step by step, then its outcome.
fn tell(lesson: &Lesson, run: &Run) {
    let index = |id: &str| lesson.cast.iter().position(|p| p.id == id);
    for happened in &run.happened {
        let who = happened.worker.as_ref().map_or("", |w| w.as_str());
        let line = match &happened.kind {
            EventKind::Granted { step } => {
                format!("step {step:>2}: {who} (worker {})", index(who).unwrap_or(0))
            }
            EventKind::Access { object, op, value } => {
                let verb = match op {
                    AccessOp::Load => "loads",
                    AccessOp::Store => "stores",
                    AccessOp::Lock => "locks",
                    AccessOp::Unlock => "unlocks",
                    _ => "uses",
                };
                match value {
                    Some(v) => format!("         {who} {verb} {object} = {v}"),
                    None => format!("         {who} {verb} {object}"),
                }
            }
            EventKind::Waiting { on, waits_for } => match on {
                Resource::Lock(name) => {
                    format!("         {who} finds {name} held by {waits_for}, and waits")
                }
                other => format!("         {who} waits for {other}"),
            },
            EventKind::Deadlock { text, .. } => format!("         {text}"),
            EventKind::Stuck => "         stuck: no worker can go on".to_owned(),
            _ => continue,
        };
        say(&line);
    }
    say(&format!("schedule: {}", schedule_text(&run.schedule)));
    if let Some(why) = &run.left_schedule {
        say(&format!("note: the schedule could not be followed ({why})"));
    }
    for (cell, value) in &run.cells {
        say(&format!("{cell} = {value}"));
    }
    let verdict = if run.outcome.holds { "holds" } else { "BROKEN" };
    say(&format!("{verdict}: {}", run.outcome.says));
}

fn say(text: &str) {
    crate::out::line(format_args!("{text}"));
}
