//! Timing: percentiles of samples, a warm-up-then-measure loop for CPU work,
//! and a closed load loop (N operations on C concurrent tasks) for I/O.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Timings, sorted.
#[derive(Debug, Clone)]
pub struct Samples(Vec<Duration>);

impl Samples {
    pub fn new(mut samples: Vec<Duration>) -> Samples {
        samples.sort_unstable();
        Samples(samples)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The nearest-rank percentile (`p` in 0–100); zero when empty.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        let rank = (p / 100.0 * self.0.len() as f64).ceil() as usize;
        self.0[rank.clamp(1, self.0.len()) - 1]
    }

    pub fn median(&self) -> Duration {
        self.percentile(50.0)
    }

    pub fn min(&self) -> Duration {
        self.0.first().copied().unwrap_or_default()
    }

    pub fn max(&self) -> Duration {
        self.0.last().copied().unwrap_or_default()
    }
}

/// Runs before measuring: caches, branch predictors, allocator, CPU clock.
const WARM_UP: Duration = Duration::from_millis(500);
/// Each sample times a batch of about this long: far above the clock's grain.
const SAMPLE_TARGET: Duration = Duration::from_millis(10);
const SAMPLES: usize = 100;

/// What [`per_op`] measured.
#[derive(Debug)]
pub struct CpuRun {
    /// The mean time of one operation in each sample.
    pub per_op: Samples,
    /// Operations timed, over all samples (the warm-up not counted).
    pub ops: u64,
}

/// Times an operation: `run(n)` performs it `n` times and returns how long
/// that took (so it can leave its own set-up out of the timing).
///
/// Warms up for [`WARM_UP`], then takes [`SAMPLES`] batches sized to last
/// about [`SAMPLE_TARGET`] each.
pub fn per_op(mut run: impl FnMut(u64) -> Duration) -> CpuRun {
    let started = Instant::now();
    let (mut n, mut ran, mut spent) = (1_u64, 0_u64, Duration::ZERO);
    while started.elapsed() < WARM_UP {
        spent += run(n);
        ran += n;
        n = (n * 2).min(1 << 20);
    }
    let per_op_estimate = spent.as_secs_f64() / ran.max(1) as f64;
    let batch = ((SAMPLE_TARGET.as_secs_f64() / per_op_estimate.max(1e-9)) as u64).max(1);
    let per_op = (0..SAMPLES)
        .map(|_| run(batch).div_f64(batch as f64))
        .collect();
    CpuRun {
        per_op: Samples::new(per_op),
        ops: batch * SAMPLES as u64,
    }
}

/// What [`closed_loop`] measured.
#[derive(Debug)]
pub struct Load {
    /// Each operation's latency.
    pub latencies: Samples,
    /// From the first start to the last finish.
    pub wall: Duration,
    /// Operations that reported failure (still timed).
    pub failures: usize,
}

impl Load {
    /// Completed operations per second.
    pub fn throughput(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

/// Runs `op(0)`, …, `op(n - 1)` on `concurrency` tasks, each taking the next
/// index as soon as its previous operation finished (a closed loop: at most
/// `concurrency` in flight). `op` answers whether it succeeded.
pub async fn closed_loop<F, Fut>(n: usize, concurrency: usize, op: F) -> Load
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send + 'static,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (op, next) = (op.clone(), next.clone());
        tasks.spawn(async move {
            let mut timings = Vec::new();
            let mut failures = 0;
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= n {
                    return (timings, failures);
                }
                let began = Instant::now();
                if !op(index).await {
                    failures += 1;
                }
                timings.push(began.elapsed());
            }
        });
    }
    let (mut latencies, mut failures) = (Vec::with_capacity(n), 0);
    while let Some(joined) = tasks.join_next().await {
        let (timings, failed) = joined.unwrap_or_else(|e| panic!("a load task failed: {e}"));
        latencies.extend(timings);
        failures += failed;
    }
    Load {
        latencies: Samples::new(latencies),
        wall: started.elapsed(),
        failures,
    }
}
