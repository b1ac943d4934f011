//! The two reading pages: the ideas the scenarios show, and what the seed's
//! Python design got wrong and how threadyard does it instead.

use yew::prelude::*;

use crate::browser::renders;

#[derive(Properties, PartialEq)]
pub struct PageProps {
    pub hidden: bool,
}

#[function_component(Learn)]
pub fn learn(props: &PageProps) -> Html {
    renders::count("Learn");
    html! {
        <article class="reading" data-testid="learn-page" hidden={props.hidden} aria-labelledby="learn-title">
            <h2 id="learn-title">{ "The ideas, in short" }</h2>
            <p>{ "Every worker here is a real thread: a Web Worker in the browser, a std thread natively, all sharing one memory. The manager never runs a monitor thread: whoever makes something happen records it, the moment it happens." }</p>

            <section id="learn-pause-points">
                <h3>{ "Pause points" }</h3>
                <p>{ "A thread cannot be frozen safely from outside: it might hold a lock or be halfway through an update. So pausing is cooperative. (Only the pause: the threads themselves are still scheduled preemptively by the operating system, which can interrupt any of them between any two instructions.) The manager only asks (the worker turns " }<em>{ "pause requested" }</em>{ ", orange); the worker pauses at its next " }<em>{ "pause point" }</em>{ ", a call it makes between pieces of work (blue). While paused its thread sleeps on a condition variable (an atomic wait in a Web Worker): it uses no CPU and does not wake up to check. Resume is one state change and one wakeup, and the worker goes on from where it stopped: the ready-made workloads do not count time paused as work done, so they never rush to catch up." }</p>
                <p>{ "A pause point costs one atomic load when no pause is asked for, so workers can have many. A worker whose work has none for a while keeps the request waiting: the \"Pause points\" scenario shows it." }</p>
            </section>

            <section id="learn-mailboxes">
                <h3>{ "Mailboxes and back-pressure" }</h3>
                <p>{ "Each worker has its own bounded mailbox. Messages arrive in the order each sender sent them. A full mailbox never drops a message silently: a send fails and hands the message back, or waits for room (" }<code>{ "send_timeout" }</code>{ "). That waiting is back-pressure: a fast producer slows to the pace of its consumer instead of piling up memory. The manager's control (pause, resume, stop) never travels through a mailbox, so a full one cannot delay it; the seed's \"pause\" and \"shutdown\" are ordinary messages, which queue like any other." }</p>
            </section>

            <section id="learn-broadcast">
                <h3>{ "Broadcast" }</h3>
                <p>{ "A broadcast puts one copy of a message into every live worker's mailbox during the call, and reports per worker: delivered, mailbox full, or already finished. The seed relayed broadcasts through a monitor that woke once a second; here nothing relays them." }</p>
            </section>

            <section id="learn-supervision">
                <h3>{ "Supervision" }</h3>
                <p>{ "A task that panics or returns an error fails only its own worker: the panic is caught at the worker's edge and its message kept. A restart policy can run the task again, a limited number of times within a window; past that the worker stays Failed. The other workers never notice. That is threadyard's doing, not a property of threads: in C++ an uncaught exception in any thread ends the whole process, and a panic in a plain Rust thread ends that thread silently unless someone joins it." }</p>
            </section>

            <section id="learn-shutdown">
                <h3>{ "Shutdown" }</h3>
                <p>{ "Shutdown asks every worker to stop and closes every mailbox in one pass, wakes the ones that are paused or waiting, and then waits for all of them under one deadline. It returns a report: who stopped cleanly, who failed, who did not stop in time (a worker can only notice the request at a pause point or a wait), and how many messages were never read." }</p>
            </section>

            <section id="learn-races">
                <h3>{ "Races: the lost update" }</h3>
                <p>{ "Adding 1 to a shared counter looks like one step, but a thread does it in two: it loads the value, then stores the value plus 1. If another thread loads between the two, both store the same number and one addition is lost. Nothing fails and nothing is reported: the total is just wrong, and only in some interleavings, which is why such bugs hide. " }<a href="#/steps/lost-update/0,1,1,0" data-testid="learn-lost-update">{ "Lost update" }</a>{ " lets you pick the interleaving: grant worker_a its load, then worker_b its load, then both stores, and the counter ends at 1." }</p>
            </section>

            <section id="learn-locks">
                <h3>{ "Locks" }</h3>
                <p>{ "A lock makes a group of steps happen as one: a thread takes it before the load and releases it after the store, and another thread that wants it waits until then. In " }<a href="#/steps/lost-update-locked">{ "Lost update, fixed with a lock" }</a>{ " no schedule can lose an update: try the one that did before, and see worker_b wait. \"Find a failing schedule\" searches a hundred and finds none." }</p>
            </section>

            <section id="learn-deadlock">
                <h3>{ "Deadlock" }</h3>
                <p>{ "Locks bring their own failure. Two threads that each hold one lock and wait for the other's wait forever: a cycle of waits. The manager keeps a wait-for graph (who waits for whom, on which lock or full mailbox) and reports a cycle the moment it closes, naming it: \"deadlock: worker_a -> worker_b -> worker_a\". In " }<a href="#/steps/deadlock" data-testid="learn-deadlock">{ "Deadlock" }</a>{ " give each worker its first lock, then try their second: the graph draws the cycle in red. " }<a href="#/steps/philosophers">{ "Dining philosophers" }</a>{ " is the same with three. The cure is one lock order for everybody (" }<a href="#/steps/deadlock-ordered">{ "with a lock order" }</a>{ "): then a cycle can never close." }</p>
            </section>

            <section id="learn-trace">
                <h3>{ "Reading the timeline, and the trace" }</h3>
                <p>{ "The timeline has one lane per worker, coloured by state; while a worker runs, a texture says what it does (none: computing; stripes: waiting for a message; crosses: waiting for room in a full mailbox; dots: sleeping in a blocking call; bars: waiting for a lock; squares: held where it is by the scenario's Hold, which is not a pause), sampled at each refresh; ticks mark messages read, broadcasts, pauses and failures. \"Export trace\" saves the whole run as Chrome Trace Event JSON: open " }<a href="https://ui.perfetto.dev" target="_blank" rel="noopener">{ "ui.perfetto.dev" }</a>{ " (or chrome://tracing) and load the file to see one track per worker, each state a slice, messages as instants, and arrows from a worker to the worker it messaged; under each worker, a track of its waits (for a message, for room, in a blocking call, for a lock) of 1 ms or more, with waits of one kind less than 1 ms apart joined into one slice that says how many it joins. In a terminal, " }<code>{ "threadyard seed --trace seed.json" }</code>{ " writes the same file." }</p>
            </section>
        </article>
    }
}

/// One row of the seed page: what the seed did, why it breaks, what
/// threadyard does instead.
const SEED: [(&str, &str, &str); 7] = [
    (
        "Shared dictionaries without a lock",
        "threads, metrics and queues are plain dicts that the monitor thread deletes from while shutdown iterates them (\"dictionary changed size during iteration\"), and the worker's wrapper and pause_thread overwrite each other's state: a pause can turn a stopped worker back into \"paused\".",
        "One registry behind a lock that is never held while your code runs. Each worker's state is one atomic byte, moved by compare-and-swap through one table of allowed moves; a refused move changes nothing and says why.",
    ),
    (
        "A monitor that polls once a second",
        "Broadcasts wait in a queue for the monitor's next turn, one per second; finished threads are noticed up to a second late; a paused worker wakes every second to check its state.",
        "No monitor thread. A broadcast goes into every mailbox during the call; each worker publishes its own start, end and failure when they happen; paused workers sleep until they are resumed or stopped (their wakeups count, in the snapshot that \"Export snapshot\" saves, stays flat).",
    ),
    (
        "CPU time never measured",
        "cpu_time is declared and stays 0.0 for every worker.",
        "Each worker's thread CPU time (natively, from the OS clock of that thread), plus busy time (time computing, measured the same way in the browser), paused and blocked times and the counts of tasks, errors, restarts and pauses.",
    ),
    (
        "A logger never defined",
        "logger is used but never created: the first log line (after 10 items) raises NameError inside the worker, and again inside the error handler, so every worker dies at about one second.",
        "The library logs through tracing and never prints; the terminal demo installs a subscriber (RUST_LOG=debug shows every transition).",
    ),
    (
        "Shutdown splits its timeout",
        "join(timeout / len(threads)) one thread after another: a slow first thread uses its slice while the others wait, paused workers are only noticed at their next one-second check, and the result is a log line, not an answer. Measured here: 806 ms for 100 workers, the paused ones reported as not terminated.",
        "One deadline for all: every worker is asked to stop in one pass (the paused and waiting ones are woken), then all are awaited together. A report says who stopped cleanly, who failed, who did not stop in time, and how many messages were never read. 1,000 workers stop in 25 to 50 ms on a 2-core machine (see BENCHMARKS.md).",
    ),
    (
        "Cleanup throws away queue and history",
        "When a thread ends the monitor deletes its queue: messages still in it are lost, and a later send raises \"not found\" as if the worker had never existed.",
        "A finished worker stays, with its state, figures and mailbox counts, until you remove it; a send to it hands the message back with \"finished\"; shutdown counts messages never read.",
    ),
    (
        "The example reads the metrics too early",
        "It prints the metrics right after the broadcast, before any worker has read \"shutdown\", and never waits for them.",
        "The seed scenario waits for every worker to finish, then shuts down and shows the report and the final figures: worker_1 about 30 items behind, all three stopped cleanly.",
    ),
];

#[function_component(SeedNotes)]
pub fn seed_notes(props: &PageProps) -> Html {
    renders::count("SeedNotes");
    html! {
        <article class="reading" data-testid="seed-page" hidden={props.hidden} aria-labelledby="seed-title">
            <h2 id="seed-title">{ "What the seed got wrong, and what threadyard does instead" }</h2>
            <p>{ "threadyard grew from a Python sketch: named workers made from a function, cooperative pause and resume, a queue per worker, broadcast, five states, per-worker metrics, a cleanup monitor and shutdown with a timeout. Every one of those is kept. These are the places where the sketch breaks, and how each is done here." }</p>
            <table class="seed">
                <thead><tr><th scope="col">{ "The seed" }</th><th scope="col">{ "What goes wrong" }</th><th scope="col">{ "threadyard" }</th></tr></thead>
                <tbody>
                    { for SEED.iter().map(|(what, wrong, fix)| html! {
                        <tr><th scope="row">{ *what }</th><td>{ *wrong }</td><td>{ *fix }</td></tr>
                    }) }
                </tbody>
            </table>
            <p>{ "Run the \"Seed example\" scenario to watch the sketch's own usage example on real threads, at any speed." }</p>
        </article>
    }
}
