//! A scenario script's clock and place, without timers: script time runs at
//! the speed from a wall-clock anchor, can be held and stepped, and says
//! which step is due and how long until the next. The browser side
//! (`browser::script`) sets its timers from it and gives the commands.

/// Where a script is, for the page to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// Script time now, in milliseconds at speed 1.
    pub now_ms: f64,
    /// When its last step is due.
    pub end_ms: f64,
    pub done_steps: usize,
    pub steps: usize,
    pub held: bool,
    /// "Run to next step" is under way: it holds once that step has run.
    pub hold_after_step: bool,
    pub finished: bool,
}

/// Script time, and which of its steps (due at `steps[i]`, script ms, in
/// order) have been taken. Wall-clock times are passed in, in milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Cue {
    steps: Vec<f64>,
    next: usize,
    /// Script time at `anchor` (wall clock).
    base_ms: f64,
    anchor: f64,
    speed: f64,
    held: bool,
    /// A step that awaits (wait-all, shutdown) is in progress.
    busy: bool,
}

/// The first step is never further than this (real milliseconds) from the
/// start: in slow motion the script starts a little before it instead of
/// at 0, so a 0.1x run does not open with a minute of nothing.
pub const LEAD_REAL_MS: f64 = 5_000.0;

/// Where a script starts (script ms) so its first step, due at
/// `first_ms`, is at most [`LEAD_REAL_MS`] of real time away at `speed`.
pub fn start_ms(first_ms: f64, speed: f64) -> f64 {
    (first_ms - LEAD_REAL_MS * speed).max(0.0)
}

/// One point where the script's clock and the manager's were read
/// together, and how fast script time ran from there (0 while held).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Anchor {
    pub manager_ms: f64,
    pub script_ms: f64,
    pub rate: f64,
}

/// The manager's clock (real time, which events carry) read as script
/// time: the one clock narration, timeline and status line speak in, so
/// "at 5 s" reads 5 s at every speed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScriptTime {
    anchors: Vec<Anchor>,
}

impl ScriptTime {
    pub fn anchor(&mut self, anchor: Anchor) {
        self.anchors.push(anchor);
    }

    /// Script time at `manager_ms`, once a script has started.
    pub fn at(&self, manager_ms: f64) -> Option<f64> {
        let a = self
            .anchors
            .iter()
            .rev()
            .find(|a| a.manager_ms <= manager_ms)
            .or_else(|| self.anchors.first())?;
        Some(a.script_ms + (manager_ms - a.manager_ms) * a.rate)
    }

    /// How long from `from_ms` to `to_ms` (manager time) lasted in script
    /// time.
    pub fn span(&self, from_ms: f64, to_ms: f64) -> Option<f64> {
        Some(self.at(to_ms)? - self.at(from_ms)?)
    }
}

/// Steps count as due this close to their time, so a timer that fires a
/// hair early does not schedule a zero-length timer.
const SLACK_MS: f64 = 0.5;

impl Cue {
    pub fn new(steps: Vec<f64>, wall: f64, speed: f64) -> Self {
        let base_ms = steps.first().map_or(0.0, |&first| start_ms(first, speed));
        Self {
            steps,
            next: 0,
            base_ms,
            anchor: wall,
            speed,
            held: false,
            busy: false,
        }
    }

    pub fn now_ms(&self, wall: f64) -> f64 {
        if self.held {
            self.base_ms
        } else {
            self.base_ms + (wall - self.anchor) * self.speed
        }
    }

    fn rebase(&mut self, wall: f64) {
        self.base_ms = self.now_ms(wall);
        self.anchor = wall;
    }

    /// Script time goes on at `speed` from where it is now.
    pub fn set_speed(&mut self, wall: f64, speed: f64) {
        self.rebase(wall);
        self.speed = speed;
    }

    /// Holds script time, or lets it go again; false when nothing changed.
    pub fn set_held(&mut self, wall: f64, held: bool) -> bool {
        if self.held == held {
            return false;
        }
        self.rebase(wall);
        self.held = held;
        true
    }

    /// Takes the next step if it is due: its index.
    pub fn take_due(&mut self, wall: f64) -> Option<usize> {
        if self.busy {
            return None;
        }
        let due = *self.steps.get(self.next)?;
        if due > self.now_ms(wall) + SLACK_MS {
            return None;
        }
        self.next += 1;
        Some(self.next - 1)
    }

    /// Real milliseconds until the next step is due; `None` while held, while
    /// a step awaits, or once every step is taken.
    pub fn delay_ms(&self, wall: f64) -> Option<f64> {
        if self.held || self.busy {
            return None;
        }
        let due = *self.steps.get(self.next)?;
        Some(((due - self.now_ms(wall)) / self.speed).max(0.0))
    }

    pub fn set_busy(&mut self, busy: bool) {
        self.busy = busy;
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// How fast script time runs now: the speed, or 0 while held.
    pub fn rate(&self) -> f64 {
        if self.held {
            0.0
        } else {
            self.speed
        }
    }

    /// Takes no more steps.
    pub fn cancel(&mut self) {
        self.next = self.steps.len();
    }

    pub fn finished(&self) -> bool {
        self.next >= self.steps.len() && !self.busy
    }

    pub fn status(&self, wall: f64) -> Status {
        Status {
            now_ms: self.now_ms(wall),
            end_ms: self.steps.last().copied().unwrap_or(0.0),
            done_steps: self.next,
            steps: self.steps.len(),
            held: self.held,
            hold_after_step: false,
            finished: self.finished(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed's script: pause at 5 s, resume at 8 s, broadcast at 15 s.
    fn seed(wall: f64, speed: f64) -> Cue {
        Cue::new(vec![5_000.0, 8_000.0, 15_000.0], wall, speed)
    }

    #[test]
    fn speed_scales_script_time_and_the_delay_to_the_next_step() {
        let mut cue = seed(1_000.0, 10.0);
        assert_eq!(cue.delay_ms(1_000.0), Some(500.0));
        assert_eq!(cue.take_due(1_499.0), None, "not due before its time");
        assert_eq!(cue.take_due(1_500.0), Some(0));
        // Slowed to real time at script time 5 s: the next step, 3 s on, takes 3 s.
        cue.set_speed(1_500.0, 1.0);
        assert_eq!(cue.now_ms(1_500.0), 5_000.0);
        assert_eq!(cue.delay_ms(1_500.0), Some(3_000.0));
    }

    #[test]
    fn holding_freezes_script_time_and_no_step_comes_due() {
        let mut cue = seed(0.0, 1.0);
        assert!(cue.set_held(2_000.0, true));
        assert!(
            !cue.set_held(2_500.0, true),
            "holding twice changes nothing"
        );
        assert_eq!(cue.now_ms(60_000.0), 2_000.0);
        assert_eq!(cue.take_due(60_000.0), None);
        assert_eq!(cue.delay_ms(60_000.0), None, "no timer while held");
        assert!(cue.set_held(60_000.0, false));
        assert_eq!(
            cue.now_ms(61_000.0),
            3_000.0,
            "goes on from where it was held"
        );
    }

    #[test]
    fn a_step_comes_due_only_as_script_time_reaches_it_never_by_a_jump() {
        // "Run to next step" from a hold: script time goes on from where it
        // was held, and the step is due when it gets there (the threads
        // have lived every second of it).
        let mut cue = seed(0.0, 1.0);
        cue.set_held(1_000.0, true);
        assert!(cue.set_held(31_000.0, false));
        assert_eq!(cue.take_due(31_000.0), None);
        assert_eq!(cue.delay_ms(31_000.0), Some(4_000.0));
        assert_eq!(cue.take_due(35_000.0), Some(0));
        assert_eq!(cue.now_ms(35_000.0), 5_000.0);
    }

    #[test]
    fn an_awaiting_step_blocks_the_rest_until_done() {
        let mut cue = Cue::new(vec![0.0, 0.0], 0.0, 1.0);
        assert_eq!(cue.take_due(0.0), Some(0));
        cue.set_busy(true);
        assert_eq!(cue.take_due(0.0), None);
        assert!(!cue.finished());
        cue.set_busy(false);
        assert_eq!(cue.take_due(0.0), Some(1));
        assert!(cue.finished());
        assert_eq!(cue.delay_ms(0.0), None, "nothing left to wait for");
    }

    #[test]
    fn in_slow_motion_the_first_step_is_a_few_real_seconds_away() {
        for speed in [0.1, 0.5, 1.0, 2.0, 10.0] {
            let cue = seed(0.0, speed);
            let wait = cue.delay_ms(0.0).unwrap();
            assert!(
                wait <= LEAD_REAL_MS,
                "{speed}x: {wait} ms to the first step"
            );
        }
        assert_eq!(
            seed(0.0, 1.0).now_ms(0.0),
            0.0,
            "at 1x the script starts at 0"
        );
        assert_eq!(seed(0.0, 0.1).now_ms(0.0), 4_500.0);
    }

    #[test]
    fn manager_time_reads_as_script_time_across_speed_changes_and_holds() {
        let mut t = ScriptTime::default();
        assert_eq!(t.at(1_000.0), None, "no script yet");
        t.anchor(Anchor {
            manager_ms: 100.0,
            script_ms: 4_500.0,
            rate: 0.1,
        });
        assert_eq!(t.at(10_100.0), Some(5_500.0));
        assert_eq!(t.at(0.0), Some(4_490.0), "before the start: read back");
        t.anchor(Anchor {
            manager_ms: 10_100.0,
            script_ms: 5_500.0,
            rate: 10.0,
        });
        assert_eq!(t.at(10_200.0), Some(6_500.0));
        t.anchor(Anchor {
            manager_ms: 10_200.0,
            script_ms: 6_500.0,
            rate: 0.0,
        });
        assert_eq!(t.at(50_000.0), Some(6_500.0), "held");
        // A pause asked at 5.0 s (script) and taken 5 s later (real) at 0.1x
        // lasted 0.5 s of script time.
        assert_eq!(t.span(5_100.0, 10_100.0), Some(500.0));
    }

    #[test]
    fn cancel_takes_no_more_steps() {
        let mut cue = seed(0.0, 1.0);
        cue.cancel();
        assert_eq!(cue.take_due(1e9), None);
        assert!(cue.status(0.0).finished);
    }
}
