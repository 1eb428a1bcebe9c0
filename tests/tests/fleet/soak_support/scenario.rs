//! The soak's scenarios: each one production failure mode, set up on the
//! fault proxy, with the figures that say whether the fleet kept its
//! promises under it.
//!
//! `make test` runs each at a short size; `make soak` (`SOAK_FULL=1`) at
//! the size its promise is stated for. `SOAK_ORDERS` overrides the size of
//! the scenario run, `SOAK_SEED` replays a run's faults.

use std::time::Duration;

use fleet_tests::FaultProxy;

/// What turns on while the clients post, and off once they are done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuringPosting {
    Nothing,
    /// Every SNS call answers 503 until the last order is posted: the
    /// backlog the relay must drain once SNS is back.
    SnsOutage,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: &'static str,
    /// Orders posted: (in `make test`, in `make soak`).
    pub orders: (usize, usize),
    /// The share of AWS calls failed or whose reply is dropped.
    pub failure_rate: f64,
    /// SIGKILL one worker of each kind a third of the way in.
    pub kill_workers: bool,
    /// Faults set on the proxy before the fleet starts.
    pub setup: fn(&FaultProxy),
    pub during_posting: DuringPosting,
    /// Extra settings for every process of the fleet.
    pub env: &'static [(&'static str, &'static str)],
    /// The promise on `POST /order`'s latency: every attempt's p95.
    pub post_p95_limit: Option<Duration>,
    /// The promise on the relay: the backlog left by the outage drained
    /// this soon after SNS is back.
    pub drain_limit: Option<Duration>,
}

fn nothing(_: &FaultProxy) {}

impl Scenario {
    /// The fault model the fleet was first proven under: 10% of calls fail
    /// or lose their reply, a worker of each kind is killed, the app retries;
    /// plus a hung DynamoDB write now and then and an SES that throttles
    /// above 20 sends a second.
    pub fn failing_calls_and_killed_workers() -> Scenario {
        Scenario {
            name: "failing calls, lost replies, killed workers",
            orders: (80, 600),
            failure_rate: 0.1,
            kill_workers: true,
            setup: |proxy| {
                proxy.hang("DynamoDB.UpdateItem", "CompletedAt", 2);
                proxy.hang("DynamoDB.PutItem", "AuditId", 1);
                proxy.throttle("SES.SendEmail", 20.0, 20);
            },
            during_posting: DuringPosting::Nothing,
            env: &[],
            post_p95_limit: None,
            drain_limit: None,
        }
    }

    /// SES grants 2 sends a second to the account; two email-workers share
    /// it by pacing themselves (1 a second each).
    pub fn ses_throttled() -> Scenario {
        Scenario {
            name: "SES throttled to 2 sends/s",
            orders: (30, 150),
            failure_rate: 0.0,
            kill_workers: false,
            setup: |proxy| proxy.throttle("SES.SendEmail", 2.0, 2),
            during_posting: DuringPosting::Nothing,
            env: &[("SES_MAX_SEND_RATE", "2"), ("EMAIL_MAX_CONCURRENCY", "2")],
            post_p95_limit: None,
            drain_limit: None,
        }
    }

    /// The first completions of email claims hang: no reply, ever.
    pub fn hung_claim_completions() -> Scenario {
        Scenario {
            name: "hung email-claim completions",
            orders: (12, 40),
            failure_rate: 0.0,
            kill_workers: false,
            setup: |proxy| proxy.hang("DynamoDB.UpdateItem", "CompletedAt", 3),
            during_posting: DuringPosting::Nothing,
            env: &[],
            post_p95_limit: None,
            drain_limit: None,
        }
    }

    /// An SNS brownout: every publish takes 4 s.
    pub fn slow_sns() -> Scenario {
        Scenario {
            name: "every SNS publish delayed 4 s",
            orders: (24, 60),
            failure_rate: 0.0,
            kill_workers: false,
            setup: |proxy| {
                proxy.delay("SNS.Publish", Duration::from_secs(4));
                proxy.delay("SNS.PublishBatch", Duration::from_secs(4));
            },
            during_posting: DuringPosting::Nothing,
            env: &[],
            post_p95_limit: Some(Duration::from_millis(1500)),
            drain_limit: None,
        }
    }

    /// SNS is down while the orders arrive, then back.
    pub fn sns_outage() -> Scenario {
        Scenario {
            name: "SNS down while orders arrive, then back",
            orders: (120, 1000),
            failure_rate: 0.0,
            kill_workers: false,
            setup: nothing,
            during_posting: DuringPosting::SnsOutage,
            // SES is not what this scenario is about: a worker paced to
            // SES's default 14/s would let the email queue grow, and moto's
            // sends (so every publish) slow down as a queue fills.
            env: &[("SES_MAX_SEND_RATE", "200")],
            post_p95_limit: None,
            drain_limit: Some(Duration::from_secs(60)),
        }
    }

    /// The size of this run: `SOAK_ORDERS`, else the full size under
    /// `SOAK_FULL=1`, else the short one.
    pub fn size(&self) -> usize {
        if let Some(orders) = std::env::var("SOAK_ORDERS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
        {
            return orders;
        }
        if full() {
            self.orders.1
        } else {
            self.orders.0
        }
    }

    /// At full size every scenario measures moto or the fleet, so each runs
    /// alone; at `make test`'s sizes only a promise on POST's latency needs
    /// the cores to itself: the rest are counts, kept whatever the load.
    pub fn runs_alone(&self) -> bool {
        full() || self.post_p95_limit.is_some()
    }
}

/// `SOAK_FULL=1`: `make soak`.
pub fn full() -> bool {
    std::env::var("SOAK_FULL").is_ok_and(|v| v.trim() == "1")
}
