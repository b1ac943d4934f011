//! Wrong tokens counted across connections, per remote address, to slow a
//! guesser without ever refusing the right token. Every local process is
//! 127.0.0.1, so refusing an address (as a lockout did) refused the app
//! itself whenever any local program sent a few wrong tokens; and with 160
//! random bits a lockout buys nothing against guessing. Instead, past a
//! limit within a window, each further wrong token is answered only at
//! its handshake's deadline (a tarpit): a guesser gets one guess per
//! connection per deadline, while the right token is checked first and
//! admitted at once, always.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::server::lock;

/// Most addresses remembered: one that floods from many addresses cannot
/// grow the table without bound (the one seen longest ago goes first).
const ADDRESSES_KEPT: usize = 1024;

/// One address's wrong tokens in its current window.
#[derive(Debug, Clone, Copy)]
struct Tally {
    /// When the window began: the first wrong token counted in it.
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

    /// Counts a wrong token from `addr`; true if it is past the limit
    /// within the window that began at its first: this one is slowed.
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
        tally.failures > self.limit
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    const ONE: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
    const OTHER: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

    #[test]
    fn wrong_tokens_past_the_limit_are_slowed_until_the_window_ends() {
        let guard = Guard::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        assert!(!guard.failed(ONE, at(0)));
        assert!(!guard.failed(ONE, at(1)));
        assert!(!guard.failed(ONE, at(2)), "the third is within the limit");
        assert!(guard.failed(ONE, at(3)), "the fourth is past it");
        assert!(guard.failed(ONE, at(59)));
        assert!(!guard.failed(OTHER, at(3)), "per address");
        // A new window begins at the next wrong token after it ends.
        assert!(!guard.failed(ONE, at(60)));
    }

    #[test]
    fn wrong_tokens_spread_wider_than_the_window_are_never_slowed() {
        let guard = Guard::new(3, Duration::from_secs(10));
        let t0 = Instant::now();
        for i in 0..10 {
            let now = t0 + Duration::from_secs(i * 6);
            assert!(!guard.failed(ONE, now), "wrong token {i}");
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
