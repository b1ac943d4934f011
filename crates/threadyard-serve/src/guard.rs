//! Failed authentications counted across connections, per remote address:
//! each failed handshake closes its connection, and past a limit within a
//! window the address is refused outright (even with the right token)
//! until the window has passed, so guessing tokens costs a window per few
//! tries instead of a connection per try.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::server::lock;

/// Most addresses remembered: one that floods from many addresses cannot
/// grow the table without bound (the one seen longest ago goes first).
const ADDRESSES_KEPT: usize = 1024;

/// One address's failures in its current window.
#[derive(Debug, Clone, Copy)]
struct Tally {
    /// When the window began: the first failure counted in it.
    since: Instant,
    failures: u32,
}

#[derive(Debug)]
pub(crate) struct Guard {
    limit: u32,
    window: Duration,
    tallies: Mutex<HashMap<IpAddr, Tally>>,
}

impl Guard {
    pub(crate) fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit: limit.max(1),
            window,
            tallies: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(wait)` when `addr` has failed `limit` times within the window
    /// that began at its first failure: refused for `wait` more.
    pub(crate) fn locked_out(&self, addr: IpAddr, now: Instant) -> Option<Duration> {
        let tallies = lock(&self.tallies);
        let tally = tallies.get(&addr)?;
        let ends = tally.since + self.window;
        (tally.failures >= self.limit && now < ends).then(|| ends - now)
    }

    /// Counts a failed authentication from `addr`; true if that reached
    /// the limit (the address is now refused until its window ends).
    pub(crate) fn failed(&self, addr: IpAddr, now: Instant) -> bool {
        let mut tallies = lock(&self.tallies);
        if !tallies.contains_key(&addr) && tallies.len() >= ADDRESSES_KEPT {
            let window = self.window;
            tallies.retain(|_, t| now < t.since + window);
            if tallies.len() >= ADDRESSES_KEPT {
                let oldest = tallies.iter().min_by_key(|(_, t)| t.since).map(|(a, _)| *a);
                if let Some(oldest) = oldest {
                    tallies.remove(&oldest);
                }
            }
        }
        let tally = tallies.entry(addr).or_insert(Tally {
            since: now,
            failures: 0,
        });
        if now >= tally.since + self.window {
            *tally = Tally {
                since: now,
                failures: 0,
            };
        }
        tally.failures = tally.failures.saturating_add(1);
        tally.failures == self.limit
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    const ONE: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
    const OTHER: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

    #[test]
    fn an_address_is_refused_after_the_limit_until_its_window_ends() {
        let guard = Guard::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        assert!(!guard.failed(ONE, at(0)));
        assert!(!guard.failed(ONE, at(1)));
        assert_eq!(guard.locked_out(ONE, at(2)), None, "two of three");
        assert!(guard.failed(ONE, at(2)), "the third reaches the limit");
        assert_eq!(guard.locked_out(ONE, at(2)), Some(Duration::from_secs(58)));
        assert_eq!(guard.locked_out(OTHER, at(2)), None, "per address");
        assert_eq!(guard.locked_out(ONE, at(60)), None, "the window is over");
        // A new window begins at the next failure.
        assert!(!guard.failed(ONE, at(61)));
        assert_eq!(guard.locked_out(ONE, at(61)), None);
    }

    #[test]
    fn failures_spread_wider_than_the_window_never_lock_out() {
        let guard = Guard::new(3, Duration::from_secs(10));
        let t0 = Instant::now();
        for i in 0..10 {
            let now = t0 + Duration::from_secs(i * 6);
            guard.failed(ONE, now);
            assert_eq!(guard.locked_out(ONE, now), None, "failure {i}");
        }
    }

    #[test]
    fn the_table_stays_bounded_however_many_addresses_fail() {
        let guard = Guard::new(3, Duration::from_secs(60));
        let now = Instant::now();
        for i in 0..(ADDRESSES_KEPT as u32 + 100) {
            guard.failed(IpAddr::V4(Ipv4Addr::from(i)), now);
        }
        assert_eq!(lock(&guard.tallies).len(), ADDRESSES_KEPT);
    }
}
