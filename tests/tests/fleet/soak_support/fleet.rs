//! The fleet under test: one order-api, two workers of each kind and the
//! outbox relay, every one of them reaching AWS through the fault proxy.

use fleet_tests::app::App;
use fleet_tests::process::FleetProcess;
use fleet_tests::Stack;

/// How the workers are run. A worker's batch must end before its messages
/// become visible again, or the second worker would be handed them
/// meanwhile: the visibility timeout is above the worker's timeout, as in the
/// template (there 6 ×), shortened so a killed worker's batch is redelivered
/// within the soak's deadline.
pub const WORKER_TIMEOUT_SECONDS: u32 = 20;
pub const VISIBILITY_TIMEOUT_SECONDS: u32 = 30;

/// The relay sweeps every second, for orders unpublished for 3 s.
const RELAY: [(&str, &str); 2] = [
    ("RELAY_INTERVAL_SECONDS", "1"),
    ("RELAY_GRACE_SECONDS", "3"),
];

#[derive(Debug)]
pub struct Fleet {
    pub app: App,
    pub email_workers: Vec<FleetProcess>,
    pub audit_workers: Vec<FleetProcess>,
    /// `None` while `outbox-relay` is not built.
    pub relay: Option<FleetProcess>,
    /// `email-worker-1`, …: the processes this test killed.
    pub killed: Vec<String>,
}

impl Fleet {
    /// Starts everything with `AWS_ENDPOINT_URL` set to `aws` (the proxy),
    /// and `env` for every process.
    pub fn start(stack: &Stack, aws: &str, env: &[(&'static str, String)]) -> Fleet {
        let endpoint = ("AWS_ENDPOINT_URL", aws.to_owned());
        let mut app_env = vec![endpoint.clone()];
        app_env.extend(env.iter().cloned());
        let app = App::spawn(stack, &app_env);
        let mut worker_env = vec![
            endpoint.clone(),
            ("WORKER_TIMEOUT_SECONDS", WORKER_TIMEOUT_SECONDS.to_string()),
        ];
        worker_env.extend(env.iter().cloned());
        let workers = |name: &'static str| -> Vec<FleetProcess> {
            (1..=2)
                .map(|n| FleetProcess::start_as(name, &n.to_string(), stack, &worker_env))
                .collect()
        };
        let email_workers = workers("email-worker");
        let audit_workers = workers("audit-worker");
        let relay = if relay_is_built() {
            let mut relay_env = vec![endpoint];
            relay_env.extend(RELAY.iter().map(|(k, v)| (*k, (*v).to_owned())));
            relay_env.extend(env.iter().cloned());
            Some(FleetProcess::start("outbox-relay", stack, &relay_env))
        } else {
            eprintln!(
                "\n!!! soak: target/debug/outbox-relay is NOT BUILT: running WITHOUT the outbox \
                 relay; orders whose publish failed stay unpublished !!!\n"
            );
            None
        };
        Fleet {
            app,
            email_workers,
            audit_workers,
            relay,
            killed: Vec::new(),
        }
    }

    /// The names of the processes started, as the report lists them.
    pub fn names(&self) -> Vec<String> {
        let mut names = vec!["order-api ×1".to_owned()];
        names.push(format!("email-worker ×{}", self.email_workers.len()));
        names.push(format!("audit-worker ×{}", self.audit_workers.len()));
        if self.relay.is_some() {
            names.push("outbox-relay ×1".to_owned());
        }
        names
    }

    /// SIGKILLs the first email-worker and the first audit-worker, which are
    /// not restarted: the second of each kind carries on alone.
    pub fn crash_one_worker_of_each_kind(&mut self) {
        for (name, process) in [
            ("email-worker-1", &mut self.email_workers[0]),
            ("audit-worker-1", &mut self.audit_workers[0]),
        ] {
            // crash() waits for the process to go: not on a runtime thread.
            tokio::task::block_in_place(|| process.crash());
            self.killed.push(name.to_owned());
        }
    }

    /// Pauses (SIGSTOP) or resumes (SIGCONT) every worker still running.
    pub fn pause_workers(&self, paused: bool) {
        for worker in self.email_workers.iter().chain(&self.audit_workers) {
            if paused {
                worker.pause();
            } else {
                worker.resume();
            }
        }
    }

    pub fn email_workers_killed(&self) -> usize {
        self.killed
            .iter()
            .filter(|k| k.starts_with("email-worker"))
            .count()
    }

    /// The processes not killed by the test that are no longer running.
    pub fn died_on_their_own(&mut self) -> Vec<String> {
        let mut dead = Vec::new();
        if !self.app.process.is_running() {
            dead.push("order-api".to_owned());
        }
        for (kind, processes) in [
            ("email-worker", &mut self.email_workers),
            ("audit-worker", &mut self.audit_workers),
        ] {
            for (n, process) in processes.iter_mut().enumerate() {
                let name = format!("{kind}-{}", n + 1);
                if !self.killed.contains(&name) && !process.is_running() {
                    dead.push(name);
                }
            }
        }
        if let Some(relay) = &mut self.relay {
            if !relay.is_running() {
                dead.push("outbox-relay".to_owned());
            }
        }
        dead
    }

    /// The ends of every log, for a failure message.
    pub fn log_tails(&self) -> String {
        let mut processes = vec![&self.app.process];
        processes.extend(&self.email_workers);
        processes.extend(&self.audit_workers);
        processes.extend(&self.relay);
        let tails: Vec<String> = processes.iter().map(|p| p.log_tail()).collect();
        tails.join("\n")
    }
}

/// Whether the lead's `outbox-relay` binary is there, next to order-api.
fn relay_is_built() -> bool {
    fleet_tests::binary("order-api")
        .with_file_name(format!("outbox-relay{}", std::env::consts::EXE_SUFFIX))
        .is_file()
}
