//! One vocabulary with the core: values the core itself serialized (from a
//! real manager natively, and every kind and state it has) are read with the
//! UI's model. The threads module hands the page these same serializations,
//! so a field, state or event kind renamed in the core fails here, in
//! `cargo test`, not in a browser.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use threadyard::workloads::Workload;
use threadyard::{EventKind as CoreKind, WorkerId, WorkerState as CoreState, Yard};

use crate::model::*;

/// `value` as the core serializes it, read as `T`.
fn read<T: DeserializeOwned>(value: &impl Serialize) -> T {
    let json = serde_json::to_value(value).expect("the core's value serializes");
    serde_json::from_value(json.clone())
        .unwrap_or_else(|e| panic!("the UI cannot read {json}: {e}"))
}

const LONG: Duration = Duration::from_secs(30);

#[test]
fn a_real_managers_snapshot_events_broadcast_and_report_read_as_the_ui_model() {
    let yard = Yard::<String>::builder()
        .record_messages(true)
        .mailbox_capacity(4)
        .build()
        .expect("a manager");
    let task = Workload::DataProcessor { item_ms: 1.0 }
        .task::<String>()
        .expect("a workload");
    yard.spawn("w", task).expect("spawned");
    yard.wait_for_state("w", LONG, |s| s == CoreState::Running)
        .expect("running");
    yard.pause("w").expect("pause");
    yard.wait_for_state("w", LONG, |s| s == CoreState::Paused)
        .expect("paused");

    let snapshot: Snapshot = read(&yard.snapshot());
    assert_eq!(snapshot.workers.len(), 1);
    let w = &snapshot.workers[0];
    assert_eq!((w.id.as_str(), w.state), ("w", WorkerState::Paused));
    assert_eq!(w.mailbox.capacity, 4);
    assert_eq!(w.pause_count, 1);
    assert!(!snapshot.shut_down);

    yard.resume("w").expect("resume");
    yard.send("w", "hello".to_owned()).expect("sent");
    let broadcast: BroadcastView = read(&yard.broadcast("shutdown".to_owned()));
    assert_eq!(broadcast.count(Delivery::Delivered), 1);
    yard.join("w", LONG)
        .expect("it reads \"shutdown\" and finishes");
    let report: Report = read(&yard.shutdown(LONG));
    assert_eq!(report.clean, ["w"]);
    assert!(report.failed.is_empty() && report.unresponsive.is_empty());

    let page: EventPage = read(&yard.events_since(0));
    let kinds: Vec<&EventKind> = page.events.iter().map(|e| &e.kind).collect();
    assert!(
        !kinds.contains(&&EventKind::Other),
        "every kind the core logged is one the UI knows: {kinds:?}"
    );
    for expected in [
        EventKind::Created,
        EventKind::Started,
        EventKind::PauseRequested,
        EventKind::Paused { by_itself: false },
        EventKind::Resumed,
        EventKind::MessageSent { from: None },
        EventKind::Broadcast {
            delivered: 1,
            full: 0,
        },
        EventKind::Stopped,
        EventKind::ShutdownStarted,
        EventKind::ShutdownFinished { unresponsive: 0 },
    ] {
        assert!(kinds.contains(&&expected), "{expected:?} in {kinds:?}");
    }
    assert_eq!(page.next, page.events.len() as f64);
    let final_state: Snapshot = read(&yard.snapshot());
    assert_eq!(final_state.workers[0].state, WorkerState::Stopped);
    assert!(final_state.shut_down);
}

#[test]
fn every_event_kind_of_the_core_is_one_the_ui_knows() {
    let id = WorkerId::new("w").expect("an id");
    let error = || "boom".to_owned();
    let kinds = [
        CoreKind::Created,
        CoreKind::Started,
        CoreKind::PauseRequested,
        CoreKind::Paused { by_itself: true },
        CoreKind::Resumed,
        CoreKind::StopRequested,
        CoreKind::Stopped,
        CoreKind::Failed { error: error() },
        CoreKind::Restarted { error: error() },
        CoreKind::ErrorRecorded { error: error() },
        CoreKind::MessageSent {
            from: Some(id.clone()),
        },
        CoreKind::Broadcast {
            delivered: 2,
            full: 1,
        },
        CoreKind::Removed,
        CoreKind::ShutdownStarted,
        CoreKind::ShutdownFinished { unresponsive: 3 },
    ];
    let read_kinds: Vec<EventKind> = kinds
        .into_iter()
        .enumerate()
        .map(|(seq, kind)| {
            // `Event` grows (it is non-exhaustive): one is made as the core
            // would serialize it, from the kind's own serialization.
            let mut event = serde_json::to_value(&kind).expect("a kind serializes");
            let fields = event.as_object_mut().expect("a kind is an object");
            fields.insert("seq".into(), serde_json::json!(seq));
            fields.insert("at_us".into(), serde_json::json!(1_500));
            fields.insert("worker".into(), serde_json::json!(id));
            fields.insert("state".into(), serde_json::Value::Null);
            let event: EventView = read(&event);
            assert_eq!((event.at_us, event.worker.as_deref()), (1_500.0, Some("w")));
            event.kind
        })
        .collect();
    let s = |t: &str| t.to_owned();
    assert_eq!(
        read_kinds,
        [
            EventKind::Created,
            EventKind::Started,
            EventKind::PauseRequested,
            EventKind::Paused { by_itself: true },
            EventKind::Resumed,
            EventKind::StopRequested,
            EventKind::Stopped,
            EventKind::Failed { error: s("boom") },
            EventKind::Restarted { error: s("boom") },
            EventKind::ErrorRecorded { error: s("boom") },
            EventKind::MessageSent { from: Some(s("w")) },
            EventKind::Broadcast {
                delivered: 2,
                full: 1
            },
            EventKind::Removed,
            EventKind::ShutdownStarted,
            EventKind::ShutdownFinished { unresponsive: 3 },
        ]
    );
}

#[test]
fn every_worker_state_of_the_core_has_the_same_name_in_the_ui() {
    let core = [
        CoreState::Created,
        CoreState::Running,
        CoreState::PauseRequested,
        CoreState::Paused,
        CoreState::Stopping,
        CoreState::Stopped,
        CoreState::Failed,
    ];
    for (core, ui) in core.into_iter().zip(WorkerState::ALL) {
        assert_eq!(read::<WorkerState>(&core), ui);
        assert_eq!(
            ui.name(),
            core.to_string(),
            "the page shows the core's name"
        );
    }
}

#[test]
fn the_scenarios_read_as_the_ui_model_and_their_workloads_go_back_unchanged() {
    let core = threadyard::scenarios::all();
    let ui: Vec<ScenarioView> = read(&core);
    assert_eq!(ui.len(), core.len());
    assert_eq!(ui[0].id, "seed", "the seed's example first");
    for (core, ui) in core.iter().zip(&ui) {
        assert_eq!(ui.script.len(), core.script.len());
        for (cast, ui_cast) in core.cast.iter().zip(&ui.cast) {
            let back: Workload = serde_json::from_value(ui_cast.workload.clone())
                .expect("the threads module takes the workload back");
            assert_eq!(back, cast.workload);
        }
    }
    let seed = &ui[0];
    assert!(seed.script.iter().any(|s| matches!(
        &s.command,
        CommandView::Pause { .. } | CommandView::Send { .. }
    )));
    assert!(matches!(
        seed.script.last().map(|s| &s.command),
        Some(CommandView::Shutdown { .. })
    ));
}

#[test]
fn every_activity_of_the_core_has_the_same_name_in_the_ui() {
    use threadyard::Activity as Core;
    let core = [
        Core::Computing,
        Core::WaitingForMessage,
        Core::WaitingForRoom,
        Core::Sleeping,
        Core::WaitingForLock,
        Core::Held,
    ];
    for (core, ui) in core.into_iter().zip(Activity::ALL) {
        assert_eq!(read::<Activity>(&core), ui);
        assert_eq!(
            serde_json::to_value(core).expect("serializes"),
            serde_json::json!(ui.name())
        );
    }
}

/// A native program's server: its frames, read off a real WebSocket,
/// are what the UI's wire model reads; a recording too. A field renamed in
/// the server's frames or in the core's types fails here.
#[test]
fn a_native_servers_frames_and_a_recording_read_as_the_ui_model() {
    use std::sync::{Arc, Mutex};

    use crate::wire::{read_recording, Frame, Pairing, PROTOCOL};
    use threadyard_serve::{record, serve, ServeOptions, PROTOCOL_VERSION};

    assert_eq!(
        PROTOCOL, PROTOCOL_VERSION,
        "the page speaks the server's version"
    );
    let yard = Arc::new(
        Yard::<String>::builder()
            .record_messages(true)
            .build()
            .expect("a manager"),
    );
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let recording = record(&yard, buffer.clone(), Duration::from_millis(10)).expect("recording");
    let server = serve(&yard, ServeOptions::new().allow_commands(true)).expect("serving");
    let task = Workload::DataProcessor { item_ms: 1.0 }
        .task::<String>()
        .expect("a workload");
    yard.spawn("w", task).expect("spawned");

    let (mut socket, _) = tungstenite::connect(server.link()).expect("connected");
    let mut frame = || loop {
        if let tungstenite::Message::Text(text) = socket.read().expect("a frame") {
            break Frame::read(&text).unwrap_or_else(|e| panic!("the UI cannot read {text}: {e}"));
        }
    };
    match frame() {
        Frame::Hello {
            protocol, settings, ..
        } => {
            assert_eq!(protocol, PROTOCOL);
            assert!(settings.commands && settings.messages);
        }
        other => panic!("a hello first, not {other:?}"),
    }
    yard.send("w", "pause".into()).expect("sent");
    yard.wait_for_state("w", LONG, |s| s == CoreState::Paused)
        .expect("paused at its pause point");
    let mut pairing = Pairing::default();
    let mut kinds = Vec::new();
    loop {
        if let Some((snapshot, page)) = pairing.take(frame()) {
            kinds.extend(page.events.into_iter().map(|e| e.kind));
            if kinds.contains(&EventKind::Paused { by_itself: false }) {
                assert_eq!(snapshot.workers[0].state, WorkerState::Paused);
                break;
            }
        }
    }
    assert!(kinds.contains(&EventKind::MessageSent { from: None }));
    assert!(kinds.contains(&EventKind::PauseRequested), "{kinds:?}");
    assert_eq!(pairing.missed, 0.0);
    assert_eq!(pairing.cursor, yard.events_since(0).next as f64);
    yard.resume("w").expect("resumed");
    yard.broadcast("shutdown".into());
    yard.join("w", LONG).expect("finished");
    yard.shutdown(LONG);
    recording.finish().expect("recorded");

    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).expect("text");
    let samples = read_recording(&text).expect("the UI reads the recording");
    let (last, _) = samples.last().expect("samples");
    assert_eq!(last.workers[0].state, WorkerState::Stopped);
    assert_eq!(last.workers[0].pause_count, 1);
    let events: usize = samples.iter().map(|(_, p)| p.events.len()).sum();
    assert_eq!(
        events as u64,
        yard.events_since(0).next,
        "every event, once"
    );
}
