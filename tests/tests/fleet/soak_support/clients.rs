//! The app's clients: posting every order as the mobile app does, and
//! replaying the accepted ones under their keys.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fleet_tests::mobile::{MobileApp, Submission};
use fleet_tests::Stack;

use super::fleet::Fleet;
use super::orders::{self, Order};

/// Clients posting at once.
pub const CLIENTS: usize = 8;

/// An order and what the app made of it.
#[derive(Debug)]
pub struct Posted {
    pub order: Order,
    pub submission: Submission,
}

/// Posts every order from [`CLIENTS`] concurrent clients by the app's policy;
/// with `kill`, once a third have been posted, kills one worker of each
/// kind. Returns the orders as posted and how many had been posted at the
/// kill (0 without one).
pub async fn post_orders(
    app: &MobileApp,
    stack: &Stack,
    orders: usize,
    seed: u64,
    fleet: &mut Fleet,
    kill: bool,
) -> (Vec<Posted>, usize) {
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (app, next, done) = (app.clone(), Arc::clone(&next), Arc::clone(&done));
            let (env, count, seed) = (stack.env.clone(), orders, seed);
            tokio::spawn(async move {
                let mut posted = Vec::new();
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    if index >= count {
                        return posted;
                    }
                    let mut rng = orders::rng(seed, index);
                    let order = Order::new(&env, index, &mut rng);
                    let submission = app
                        .submit(&order.body, &order.idempotency_key, &mut rng)
                        .await;
                    done.fetch_add(1, Ordering::SeqCst);
                    posted.push(Posted { order, submission });
                }
            })
        })
        .collect();

    let kill_at = orders / 3;
    let mut killed_after = (!kill).then_some(0);
    while !clients.iter().all(|c| c.is_finished()) {
        if killed_after.is_none() && done.load(Ordering::SeqCst) >= kill_at {
            killed_after = Some(done.load(Ordering::SeqCst));
            fleet.crash_one_worker_of_each_kind();
            eprintln!("soak: SIGKILLed {:?}", fleet.killed);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A tiny run may be posted before the first look: kill anyway.
    let killed_after = killed_after.unwrap_or_else(|| {
        fleet.crash_one_worker_of_each_kind();
        orders
    });
    let mut posted = Vec::new();
    for client in clients {
        posted.extend(
            client
                .await
                .unwrap_or_else(|e| panic!("a client task failed: {e}")),
        );
    }
    posted.sort_by_key(|p| p.order.index);
    (posted, killed_after)
}

/// Posts every accepted order again under its key, as an app that never saw
/// the answer would: each must answer the same order id. Returns the keys
/// that answered another id, and the replays the app gave up on.
pub async fn replay(app: &MobileApp, seed: u64, accepted: &[&Posted]) -> (usize, usize) {
    let jobs: Vec<(Order, String)> = accepted
        .iter()
        .map(|p| {
            let order_id = p.submission.order_id().unwrap_or_default().to_owned();
            (p.order.clone(), order_id)
        })
        .collect();
    let jobs = Arc::new(std::sync::Mutex::new(jobs));
    let seed = seed.rotate_left(32);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (app, jobs) = (app.clone(), Arc::clone(&jobs));
            tokio::spawn(async move {
                let (mut two_ids, mut refused) = (0, 0);
                loop {
                    let job = jobs
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .pop();
                    let Some((order, first_id)) = job else {
                        return (two_ids, refused);
                    };
                    let mut rng = orders::rng(seed, order.index);
                    let again = app
                        .submit(&order.body, &order.idempotency_key, &mut rng)
                        .await;
                    match again.order_id() {
                        Some(id) if id != first_id => two_ids += 1,
                        Some(_) => {}
                        None => refused += 1,
                    }
                }
            })
        })
        .collect();
    let (mut two_ids, mut refused) = (0, 0);
    for client in clients {
        let (t, r) = client
            .await
            .unwrap_or_else(|e| panic!("a replay task failed: {e}"));
        two_ids += t;
        refused += r;
    }
    (two_ids, refused)
}
