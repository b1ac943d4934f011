use std::time::Duration;

use threadyard::{
    ConfigError, ControlError, CreateError, IdError, RestartPolicy, SendError, WorkerOptions, Yard,
    MAX_MAILBOX_CAPACITY,
};

use crate::support::*;

pub fn ids() {
    let yard = Yard::<String>::new();
    let create = |id: &str| yard.create(id, |_| Ok(())).map(drop);
    assert_eq!(create(""), Err(CreateError::InvalidId(IdError::Empty)));
    assert_eq!(
        create(&"x".repeat(65)),
        Err(CreateError::InvalidId(IdError::TooLong { len: 65 }))
    );
    assert!(create(&"x".repeat(64)).is_ok());
    assert!(matches!(
        create("a\nb"),
        Err(CreateError::InvalidId(IdError::ControlCharacter {
            index: 1,
            ..
        }))
    ));
    assert!(matches!(
        create("tab\t"),
        Err(CreateError::InvalidId(IdError::ControlCharacter { .. }))
    ));
    assert!(create("wörker-ü 1").is_ok(), "printable unicode is fine");
    // Ids that would not read as what they are (see `WorkerId`).
    assert_eq!(
        create("   "),
        Err(CreateError::InvalidId(IdError::EdgeSpace))
    );
    assert_eq!(
        create("w "),
        Err(CreateError::InvalidId(IdError::EdgeSpace))
    );
    for invisible in ["w\u{200B}", "\u{202E}w", "a\u{2066}b", "w\u{FE0F}"] {
        assert!(
            matches!(
                create(invisible),
                Err(CreateError::InvalidId(IdError::Invisible { .. }))
            ),
            "{invisible:?}"
        );
    }
    assert!(matches!(
        create("a\u{00A0}b"),
        Err(CreateError::InvalidId(IdError::Whitespace { index: 1, .. }))
    ));
    create("dup").unwrap();
    match create("dup") {
        Err(e @ CreateError::Duplicate(_)) => assert!(e.to_string().contains("already exists")),
        other => panic!("expected Duplicate, got {other:?}"),
    }
    assert_eq!(
        yard.snapshot().workers.len(),
        3,
        "refused ids changed nothing"
    );
    // Each error tells what to do.
    let message = create("").unwrap_err().to_string();
    assert!(message.contains("give each worker"), "{message}");
}

pub fn unknown_ids() {
    let yard = Yard::<String>::new();
    let unknown = |r: Result<(), ControlError>| {
        assert!(matches!(r, Err(ControlError::UnknownWorker { id }) if id == "ghost"))
    };
    unknown(yard.start("ghost"));
    unknown(yard.pause("ghost"));
    unknown(yard.resume("ghost"));
    unknown(yard.stop("ghost"));
    unknown(yard.remove("ghost").map(drop));
    unknown(yard.join("ghost", Duration::ZERO).map(drop));
    unknown(yard.sender("ghost").map(drop));
    match yard.send("ghost", "boo".into()) {
        Err(SendError::UnknownWorker { id, message }) => {
            assert_eq!((id.as_str(), message.as_str()), ("ghost", "boo"))
        }
        other => panic!("expected UnknownWorker, got {other:?}"),
    }
}

pub fn capacities() {
    assert!(matches!(
        Yard::<u8>::builder().mailbox_capacity(0).build(),
        Err(ConfigError::MailboxCapacity { given: 0, .. })
    ));
    assert!(Yard::<u8>::builder()
        .mailbox_capacity(MAX_MAILBOX_CAPACITY + 1)
        .build()
        .is_err());
    assert!(matches!(
        Yard::<u8>::builder().event_capacity(0).build(),
        Err(ConfigError::EventCapacity { .. })
    ));
    assert!(Yard::<u8>::builder()
        .mailbox_capacity(MAX_MAILBOX_CAPACITY)
        .build()
        .is_ok());
    let yard = Yard::<u8>::new();
    let r = yard.create_with("w", WorkerOptions::new().mailbox_capacity(0), |_| Ok(()));
    assert!(matches!(
        r,
        Err(CreateError::InvalidConfig(
            ConfigError::MailboxCapacity { .. }
        ))
    ));
    assert!(yard.snapshot().workers.is_empty());
    assert!(yard
        .create_with(
            "w",
            WorkerOptions::new().mailbox_capacity(usize::MAX),
            |_| Ok(())
        )
        .is_err());
}

pub fn huge_and_zero_timeouts() {
    let yard = Yard::<u8>::new();
    yard.spawn_with("w", WorkerOptions::new().mailbox_capacity(1), |w| {
        // A huge receive timeout means "wait", never an overflow.
        w.recv_timeout(Duration::MAX)?;
        w.pause_self()?;
        Ok(())
    })
    .unwrap();
    yard.send("w", 1).unwrap();
    reach(&yard, "w", threadyard::WorkerState::Paused);
    yard.send("w", 2).unwrap();
    assert!(matches!(
        yard.send_timeout("w", 3, Duration::ZERO),
        Err(SendError::Full { .. })
    ));
    assert!(matches!(
        yard.join("w", Duration::ZERO),
        Err(ControlError::Timeout { .. })
    ));
    let report = yard.shutdown(Duration::MAX);
    assert_eq!(report.clean.len(), 1);
}

pub fn restart_policies() {
    let yard = Yard::<u8>::new();
    let policy = |max_restarts, window| {
        WorkerOptions::new().restart(RestartPolicy::OnFailure {
            max_restarts,
            window,
        })
    };
    for (options, says) in [
        (policy(1, Duration::ZERO), "under 1 ms"),
        (policy(0, Duration::from_secs(1)), "RestartPolicy::Never"),
        (policy(u32::MAX, Duration::from_secs(1)), "10,000"),
        (policy(1, Duration::MAX), "30 days"),
    ] {
        match yard.create_with("w", options, |_| Err("always fails".into())) {
            Err(CreateError::InvalidConfig(e @ ConfigError::RestartPolicy { .. })) => {
                assert!(e.to_string().contains(says), "{e}")
            }
            other => panic!("expected a refused policy, got {other:?}"),
        }
    }
    assert!(yard.snapshot().workers.is_empty());
}

pub fn thread_limits() {
    match Yard::<u8>::builder().max_threads(0).build() {
        Err(e @ ConfigError::MaxThreads) => assert!(e.to_string().contains("at least 1")),
        other => panic!("expected MaxThreads, got {:?}", other.map(drop)),
    }
    assert!(Yard::<u8>::builder().max_threads(1).build().is_ok());
}
