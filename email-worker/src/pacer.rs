//! Sending no faster than SES allows (docs/decisions/0006): each copy of the worker
//! spaces its sends by its share of the account's rate, `rate ÷ concurrency`, so
//! throttling is the exception, not the way the worker learns its limit.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Pacer {
    /// `account_rate` sends a second shared by `copies` workers at once.
    pub fn new(account_rate: u32, copies: u32) -> Pacer {
        let per_second = f64::from(account_rate.max(1)) / f64::from(copies.max(1));
        Pacer {
            interval: Duration::from_secs_f64(1.0 / per_second),
            next: Mutex::new(Instant::now()),
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Takes the next free slot if it comes by `latest` (waits for it); else `false`.
    pub async fn wait_for_slot(&self, latest: Instant) -> bool {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let slot = (*next).max(Instant::now());
            if slot > latest {
                return false;
            }
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sends_are_spaced_by_the_workers_share_of_the_account_rate() {
        let pacer = Pacer::new(100, 2);
        assert_eq!(pacer.interval(), Duration::from_millis(20));
        let start = Instant::now();
        for _ in 0..8 {
            assert!(pacer.wait_for_slot(start + Duration::from_secs(60)).await);
        }
        // Eight sends: the first at once, then seven intervals.
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(140), "{took:?}");
        assert!(took < Duration::from_millis(1000), "{took:?}");
    }

    #[tokio::test]
    async fn a_slot_later_than_the_caller_can_wait_is_not_taken() {
        let pacer = Pacer::new(5, 1);
        let start = Instant::now();
        assert!(pacer.wait_for_slot(start + Duration::from_millis(50)).await);
        assert!(
            !pacer
                .wait_for_slot(start + Duration::from_millis(100))
                .await,
            "the next slot is 200 ms on"
        );
        // Refusing took nothing: the slot 200 ms on is still free.
        assert!(
            pacer
                .wait_for_slot(start + Duration::from_millis(300))
                .await
        );
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(200), "{took:?}");
        assert!(took < Duration::from_millis(390), "{took:?}");
    }
}
