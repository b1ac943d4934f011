//! Scripted scenarios: the seed's usage example and demos that each teach one
//! idea, as data. The web app and the terminal demo run the same scripts.
//!
//! A scenario is a cast of workers (a [`Workload`] each) and a script of
//! timed commands. Times and item lengths are written for speed 1; a runner
//! scales both by its speed (see [`Pace`](crate::workloads::Pace)).
//!
//! ```
//! use threadyard::scenarios;
//!
//! let seed = scenarios::find("seed").expect("the seed example is built in");
//! assert_eq!(seed.cast.len(), 3);
//! let times: Vec<f64> = seed.script.iter().map(|s| s.at_ms).collect();
//! assert_eq!(times, [5_000.0, 5_000.0, 8_000.0, 15_000.0, 15_000.0, 15_000.0]);
//! ```

use serde::Serialize;

use crate::state::WorkerState;
use crate::workloads::Workload;

/// A scripted demo.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Scenario {
    /// Short stable name (`"seed"`, `"pause-points"`...).
    pub id: &'static str,
    /// What a chooser shows.
    pub title: &'static str,
    /// The idea it teaches, in a few plain sentences.
    pub teaches: &'static str,
    /// What to look at once it has run.
    pub look_for: &'static str,
    /// Mailbox capacity of every worker.
    pub mailbox_capacity: usize,
    /// The workers, started together in this order.
    pub cast: Vec<Cast>,
    /// The script, in time order.
    pub script: Vec<Step>,
}

/// One worker of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Cast {
    /// Its id.
    pub id: &'static str,
    /// What it runs.
    pub workload: Workload,
    /// Restarts allowed after a failure (within the scenario), if any.
    pub max_restarts: Option<u32>,
}

/// One command of a script, at a time.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Step {
    /// When, in milliseconds from the start at speed 1.
    pub at_ms: f64,
    /// What the script does.
    pub command: Command,
    /// Why, in plain words, for the narration.
    pub says: &'static str,
}

/// What a script step does.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "do", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Command {
    /// Queue a message for one worker.
    Send {
        /// The worker.
        to: &'static str,
        /// The message.
        message: &'static str,
    },
    /// Ask a worker to pause at its next pause point.
    Pause {
        /// The worker.
        worker: &'static str,
    },
    /// Resume a paused worker.
    Resume {
        /// The worker.
        worker: &'static str,
    },
    /// Send a copy of a message to every worker.
    Broadcast {
        /// The message.
        message: &'static str,
    },
    /// Wait until a worker is in a state (an event, not a time: what
    /// follows does not depend on how loaded the machine is), at most
    /// `timeout_ms` in scenario time plus a few real seconds' grace.
    WaitFor {
        /// The worker.
        worker: &'static str,
        /// The state it must reach.
        state: WorkerState,
        /// The longest wait, in milliseconds at speed 1.
        timeout_ms: f64,
    },
    /// Wait for every worker to finish by itself (after a "shutdown"
    /// message), at most `timeout_ms` in scenario time.
    WaitAll {
        /// The longest wait, in milliseconds at speed 1.
        timeout_ms: f64,
    },
    /// Stop everything within a deadline (in scenario time) and report.
    Shutdown {
        /// The deadline, in milliseconds at speed 1.
        timeout_ms: f64,
    },
}

/// Every scenario, the seed's example first.
pub fn all() -> Vec<Scenario> {
    vec![
        seed(),
        pause_points(),
        back_pressure(),
        supervision(),
        unresponsive(),
        speedup(),
    ]
}

/// The scenario called `id`.
pub fn find(id: &str) -> Option<Scenario> {
    all().into_iter().find(|s| s.id == id)
}

fn worker(id: &'static str, workload: Workload) -> Cast {
    Cast {
        id,
        workload,
        max_restarts: None,
    }
}

fn step(at_ms: f64, command: Command, says: &'static str) -> Step {
    Step {
        at_ms,
        command,
        says,
    }
}

const ITEM: Workload = Workload::DataProcessor { item_ms: 100.0 };

/// The seed's usage example, at the seed's times.
pub fn seed() -> Scenario {
    Scenario {
        id: "seed",
        title: "Seed example: pause by message, resume, broadcast shutdown",
        teaches: "The seed's own example. Three data processors handle an item every 100 ms. \
                  At 5 s worker_1 is sent the message \"pause\" and asks for its own pause, \
                  which its next pause point takes; at 8 s the \
                  manager resumes it; at 15 s \"shutdown\" is broadcast and every worker finishes.",
        look_for: "worker_1 ends about 30 items behind the others (3 s paused at 10 items a \
                   second), and all three stop cleanly.",
        mailbox_capacity: 16,
        cast: vec![
            worker("worker_0", ITEM),
            worker("worker_1", ITEM),
            worker("worker_2", ITEM),
        ],
        script: vec![
            step(
                5_000.0,
                Command::Send {
                    to: "worker_1",
                    message: "pause",
                },
                "The script sends \"pause\" to worker_1. It is an ordinary message: worker_1 \
                 reads it from its mailbox and asks for its own pause, as the manager would \
                 (pause requested); it pauses at its next pause point.",
            ),
            step(
                5_000.0,
                Command::WaitFor {
                    worker: "worker_1",
                    state: WorkerState::Paused,
                    timeout_ms: 3_000.0,
                },
                "The script waits until worker_1 has paused: its next pause point, the top of \
                 its loop, comes at once. (Resumed before that, its request would be withdrawn.)",
            ),
            step(
                8_000.0,
                Command::Resume { worker: "worker_1" },
                "The script resumes worker_1: one state change and one wakeup, no message.",
            ),
            step(
                15_000.0,
                Command::Broadcast {
                    message: "shutdown",
                },
                "The script broadcasts \"shutdown\": during the call, one copy goes into each \
                 worker's mailbox in turn.",
            ),
            step(
                15_000.0,
                Command::WaitAll {
                    timeout_ms: 5_000.0,
                },
                "The script waits for each worker to read \"shutdown\" and finish by itself.",
            ),
            step(
                15_000.0,
                Command::Shutdown {
                    timeout_ms: 5_000.0,
                },
                "The manager shuts down (one 5 s deadline for all of them) and reports.",
            ),
        ],
    }
}

/// A pause request waits for the worker's next pause point.
fn pause_points() -> Scenario {
    Scenario {
        id: "pause-points",
        title: "Pause points: a pause waits for the next one",
        teaches: "Pausing is cooperative: the manager only asks, and a worker pauses at its next \
                  pause point. (Only the pause is cooperative: the operating system still \
                  schedules the threads preemptively.) \"quick\" reaches a pause point every \
                  100 ms; \"batch\" does items of 3 s in one piece (a blocking call), so its \
                  pause waits.",
        look_for: "quick pauses at once; batch stays \"pause requested\" (orange) until its item \
                   ends, up to 3 s later.",
        mailbox_capacity: 16,
        cast: vec![
            worker("quick", ITEM),
            worker("batch", Workload::Batch { item_ms: 3_000.0 }),
        ],
        script: vec![
            step(
                1_500.0,
                Command::Pause { worker: "quick" },
                "The script asks quick to pause.",
            ),
            step(
                1_500.0,
                Command::Pause { worker: "batch" },
                "The script asks batch to pause, at the same moment.",
            ),
            step(
                1_500.0,
                Command::WaitFor {
                    worker: "quick",
                    state: WorkerState::Paused,
                    timeout_ms: 4_000.0,
                },
                "The script waits until quick has paused.",
            ),
            step(
                1_500.0,
                Command::WaitFor {
                    worker: "batch",
                    state: WorkerState::Paused,
                    timeout_ms: 4_000.0,
                },
                "The script waits until batch has paused too.",
            ),
            step(
                6_000.0,
                Command::Resume { worker: "quick" },
                "The script resumes quick.",
            ),
            step(
                6_000.0,
                Command::Resume { worker: "batch" },
                "The script resumes batch.",
            ),
            step(
                8_000.0,
                Command::Shutdown {
                    timeout_ms: 5_000.0,
                },
                "The manager shuts down; batch stops at the end of its current item.",
            ),
        ],
    }
}

/// A full mailbox pushes back on its sender.
fn back_pressure() -> Scenario {
    Scenario {
        id: "back-pressure",
        title: "Back-pressure: a full mailbox slows its sender",
        teaches: "Mailboxes are bounded (8 messages here). The producer makes an item every \
                  50 ms; the consumer needs 250 ms each. Once the consumer's mailbox is full, \
                  the producer waits for room instead of piling up memory or dropping items.",
        look_for: "The consumer's mailbox sits at 8 of 8 and the producer's rate falls to the \
                   consumer's; while the consumer is paused the producer makes nothing. The \
                   broadcast cannot enter the full mailbox, and shutdown counts the messages \
                   left unread.",
        mailbox_capacity: 8,
        cast: vec![
            worker("consumer", Workload::Consumer { item_ms: 250.0 }),
            worker("producer", Workload::Producer { item_ms: 50.0 }),
        ],
        script: vec![
            step(
                4_000.0,
                Command::Pause { worker: "consumer" },
                "The script pauses the consumer: nothing leaves its mailbox now.",
            ),
            step(
                6_000.0,
                Command::Resume { worker: "consumer" },
                "The script resumes the consumer.",
            ),
            step(
                8_000.0,
                Command::Broadcast {
                    message: "shutdown",
                },
                "The script broadcasts \"shutdown\"; the narration then says which mailboxes \
                 took it and which were full.",
            ),
            step(
                8_000.0,
                Command::Shutdown {
                    timeout_ms: 3_000.0,
                },
                "The manager shuts down and counts what was never read.",
            ),
        ],
    }
}

/// A panicking worker is restarted by its policy while the others go on.
fn supervision() -> Scenario {
    Scenario {
        id: "supervision",
        title: "Supervision: a panicking worker is restarted",
        teaches: "\"flaky\" panics on every 10th item (once a second). Its restart policy runs the task again, \
                  at most 3 times; the fourth panic leaves it Failed. threadyard catches the \
                  panic at the worker's edge, so the other workers never notice (that is the \
                  library's doing, not a property of threads: in C++ an uncaught exception in \
                  any thread ends the whole process).",
        look_for: "flaky restarts three times (red marks) and ends Failed with its panic \
                   message; steady_0 and steady_1 keep their pace and stop cleanly.",
        mailbox_capacity: 16,
        cast: vec![
            worker("steady_0", ITEM),
            Cast {
                id: "flaky",
                workload: Workload::Flaky {
                    item_ms: 100.0,
                    fail_every: 10,
                },
                max_restarts: Some(3),
            },
            worker("steady_1", ITEM),
        ],
        script: vec![
            step(
                500.0,
                Command::WaitFor {
                    worker: "flaky",
                    state: WorkerState::Failed,
                    timeout_ms: 7_500.0,
                },
                "The script waits for flaky to fail for good (after its third restart).",
            ),
            step(
                8_000.0,
                Command::Broadcast {
                    message: "shutdown",
                },
                "The script broadcasts \"shutdown\".",
            ),
            step(
                8_000.0,
                Command::WaitAll {
                    timeout_ms: 3_000.0,
                },
                "The script waits for the steady workers to finish by themselves.",
            ),
            step(
                8_000.0,
                Command::Shutdown {
                    timeout_ms: 3_000.0,
                },
                "The manager shuts down; the report lists flaky as failed, with its panic.",
            ),
        ],
    }
}

/// Shutdown reports a worker that does not stop in time.
fn unresponsive() -> Scenario {
    Scenario {
        id: "unresponsive",
        title: "Shutdown: a worker that does not stop in time",
        teaches: "Shutdown asks every worker to stop, in one pass, and waits once, for all of \
                  them, up to its deadline (1 s here). \"stubborn\" is inside a 12 s item with no pause \
                  point, so it cannot hear the request in time.",
        look_for: "The report lists worker_0 and worker_1 as stopped cleanly and stubborn as \
                   unresponsive; stubborn stops by itself when its item ends.",
        mailbox_capacity: 16,
        cast: vec![
            worker("worker_0", ITEM),
            worker("worker_1", ITEM),
            worker("stubborn", Workload::Batch { item_ms: 12_000.0 }),
        ],
        script: vec![step(
            2_000.0,
            Command::Shutdown {
                timeout_ms: 1_000.0,
            },
            "The manager shuts down with a 1 s deadline.",
        )],
    }
}

/// The workers of the speedup lesson, in the order they join in.
pub const SPEEDUP_WORKERS: [&str; 8] = [
    "cpu_1", "cpu_2", "cpu_3", "cpu_4", "cpu_5", "cpu_6", "cpu_7", "cpu_8",
];

/// How long each phase of the speedup lesson lasts (ms at speed 1).
pub const SPEEDUP_PHASE_MS: f64 = 3_000.0;

/// 1, 2, 4, then 8 CPU-bound workers against the machine's cores.
fn speedup() -> Scenario {
    const CPU: Workload = Workload::CpuBound {
        work_per_item: 200_000,
    };
    let mut script: Vec<Step> = SPEEDUP_WORKERS[1..]
        .iter()
        .map(|&worker| {
            step(
                0.0,
                Command::Pause { worker },
                "The script pauses one of cpu_2 to cpu_8 until its phase (a step each): \
                 cpu_1 computes alone first.",
            )
        })
        .collect();
    // The phases are measured from the workers' states: one still on its way
    // to its pause point would count as computing (and, resumed before it
    // got there, would never pause). Waiting on the event keeps the phases
    // true however loaded the machine is.
    script.extend(SPEEDUP_WORKERS[1..].iter().map(|&worker| {
        step(
            0.0,
            Command::WaitFor {
                worker,
                state: WorkerState::Paused,
                timeout_ms: 3_000.0,
            },
            "The script waits until each of cpu_2 to cpu_8 has paused (a step each), so \
             cpu_1's phase measures one worker alone.",
        )
    }));
    for (phase, joining, says) in [
        (
            1.0,
            1..2,
            "The script resumes cpu_2: two workers compute at once now.",
        ),
        (
            2.0,
            2..4,
            "The script resumes one of cpu_3 and cpu_4 (a step each): four compute at once \
             after both.",
        ),
        (
            3.0,
            4..8,
            "The script resumes one of cpu_5 to cpu_8 (a step each): eight compute at once \
             after all four.",
        ),
    ] {
        for &worker in &SPEEDUP_WORKERS[joining] {
            script.push(step(
                phase * SPEEDUP_PHASE_MS,
                Command::Resume { worker },
                says,
            ));
        }
    }
    let end = 4.0 * SPEEDUP_PHASE_MS;
    script.push(step(
        end,
        Command::Broadcast {
            message: "shutdown",
        },
        "The script broadcasts \"shutdown\": each worker finishes after its current item.",
    ));
    script.push(step(
        end,
        Command::Shutdown {
            timeout_ms: 3_000.0,
        },
        "The manager shuts down and reports.",
    ));
    Scenario {
        id: "speedup",
        title: "Speedup: 1, 2, 4 and 8 workers against the cores",
        teaches: "Real threads run at the same time on different cores. Eight CPU-bound \
                  workers (pure arithmetic, sharing nothing) join in phases: 1, then 2, 4 \
                  and 8 computing at once. Total throughput grows with the workers up to \
                  the number of cores, then stays flat: more threads than cores only take \
                  turns. Amdahl's law says the same for one job split in parts: if a \
                  fraction p of it can run in parallel, n cores make it at most \
                  1 / ((1 - p) + p / n) times faster, so the part that must run alone \
                  sets the ceiling (here p is close to 1, and the cores are the limit).",
        look_for: "Tasks per second against workers: about double from 1 to 2 workers on a \
                   machine with 2 cores or more, and little gain past the core count. On a \
                   machine busy with other programs the threads share the cores with them, \
                   so more threads can still win a bigger share: that is taking turns, not \
                   more cores.",
        mailbox_capacity: 16,
        cast: SPEEDUP_WORKERS.iter().map(|&id| worker(id, CPU)).collect(),
        script,
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn every_scenario_is_well_formed() {
        let all = all();
        assert!(all[0].title.contains("Seed"));
        for s in &all {
            assert!(
                s.script.windows(2).all(|w| w[0].at_ms <= w[1].at_ms),
                "{}",
                s.id
            );
            assert!(
                matches!(
                    s.script.last().map(|s| &s.command),
                    Some(Command::Shutdown { .. })
                ),
                "{} ends with a shutdown",
                s.id
            );
            for c in &s.cast {
                c.workload.validate().unwrap();
            }
            for step in &s.script {
                let named = match step.command {
                    Command::Send { to, .. } => Some(to),
                    Command::Pause { worker }
                    | Command::Resume { worker }
                    | Command::WaitFor { worker, .. } => Some(worker),
                    _ => None,
                };
                if let Some(named) = named {
                    assert!(s.cast.iter().any(|c| c.id == named), "{}: {named}", s.id);
                }
            }
        }
        let mut ids: Vec<_> = all.iter().map(|s| s.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
    }
}
