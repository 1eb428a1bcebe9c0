//! Settings, read once from the environment at start-up.
//!
//! One reader, [`Env`], for every binary; each binary builds from it the
//! settings it uses and no others (`order_api::ApiSettings`,
//! `email_worker::Settings`, [`crate::batch::WorkerSettings`], …), so a
//! worker never fails on, or even reads, what only the API needs.
//!
//! Every name has a default derived from `ENVIRONMENT` (the template's naming:
//! `<env>-Orders`, …), so a deployed function needs only what differs, and a
//! local run needs nothing at all.

use std::sync::Arc;
use std::time::Duration;

/// What every SDK client is built from: [`AwsSettings::function`] or [`AwsSettings::aws`].
pub use aws_config::SdkConfig;

/// moto's account id, which it uses in every ARN.
const LOCAL_ACCOUNT: &str = "123456789012";
/// Where `make dev` starts the local AWS.
pub const LOCAL_ENDPOINT: &str = "http://127.0.0.1:4566";

#[derive(Debug, thiserror::Error)]
#[error("invalid setting {name}={value:?}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub reason: String,
}

type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The environment variables, read through one lookup; an empty one is unset.
#[derive(Clone)]
pub struct Env {
    lookup: Lookup,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env").finish_non_exhaustive()
    }
}

impl Env {
    /// The process environment.
    pub fn process() -> Env {
        Env::from_lookup(|name| std::env::var(name).ok())
    }

    /// Settings through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Env {
        Env {
            lookup: Arc::new(move |name| lookup(name).filter(|v| !v.is_empty())),
        }
    }

    pub fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
    }

    /// `ENVIRONMENT`: `local` (the default), `dev`, `staging`, `prod` — the
    /// prefix of every resource name.
    pub fn environment(&self) -> String {
        self.get("ENVIRONMENT")
            .unwrap_or_else(|| "local".to_owned())
    }

    /// A resource's name: `var` if set, else `<env>-<suffix>` as the template names it.
    pub fn name(&self, var: &str, suffix: &str) -> String {
        self.get(var)
            .unwrap_or_else(|| format!("{}-{suffix}", self.environment()))
    }

    /// `var` with its default.
    pub fn text(&self, var: &str, default: &str) -> String {
        self.get(var).unwrap_or_else(|| default.to_owned())
    }

    /// A positive whole number.
    pub fn count(&self, name: &'static str, default: u32) -> Result<u32, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(value) => match value.parse::<u32>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(ConfigError {
                    name,
                    value,
                    reason: "must be a positive whole number".to_owned(),
                }),
            },
        }
    }

    /// A positive number of seconds.
    pub fn seconds(&self, name: &'static str, default: u32) -> Result<Duration, ConfigError> {
        Ok(Duration::from_secs(self.count(name, default)?.into()))
    }

    /// Set when running inside Lambda (`AWS_LAMBDA_RUNTIME_API`).
    pub fn lambda_mode(&self) -> bool {
        self.get("AWS_LAMBDA_RUNTIME_API").is_some()
    }

    /// `ORDER_TOPIC_ARN`; locally the local stack's topic. Outside local runs
    /// the ARN holds the account id: it must be given.
    pub fn topic_arn(&self, aws: &AwsSettings) -> Result<String, ConfigError> {
        match self.get("ORDER_TOPIC_ARN") {
            Some(arn) => Ok(arn),
            None if aws.is_local() => Ok(format!(
                "arn:aws:sns:{}:{LOCAL_ACCOUNT}:{}-OrderEvents",
                aws.region, aws.environment
            )),
            None => Err(ConfigError {
                name: "ORDER_TOPIC_ARN",
                value: String::new(),
                reason: "required outside the local environment".to_owned(),
            }),
        }
    }
}

/// Where the AWS calls go, which every binary needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSettings {
    pub environment: String,
    /// The region of ARNs built here; `us-east-1` unless `AWS_REGION` says otherwise.
    pub region: String,
    /// Whether the region was given (`AWS_REGION`/`AWS_DEFAULT_REGION`). If not,
    /// the SDK's chain finds it (a profile's region), except for a local endpoint.
    pub region_given: bool,
    /// A local endpoint for every AWS call (`AWS_ENDPOINT_URL`), if any;
    /// `make dev`'s moto in the `local` environment.
    pub endpoint_url: Option<String>,
    /// The shared config profile (`AWS_PROFILE`): its credentials, region and
    /// endpoint. Named here, not only in the process environment, so that a
    /// command line's `--profile` reaches the SDK as the variable would.
    pub profile: Option<String>,
}

impl AwsSettings {
    pub fn read(env: &Env) -> AwsSettings {
        let environment = env.environment();
        let given_region = env
            .get("AWS_REGION")
            .or_else(|| env.get("AWS_DEFAULT_REGION"));
        let local = environment == "local";
        AwsSettings {
            region_given: given_region.is_some(),
            region: given_region.unwrap_or_else(|| "us-east-1".to_owned()),
            endpoint_url: env
                .get("AWS_ENDPOINT_URL")
                .or_else(|| local.then(|| LOCAL_ENDPOINT.to_owned())),
            profile: env.get("AWS_PROFILE"),
            environment,
        }
    }

    pub fn is_local(&self) -> bool {
        self.environment == "local"
    }

    /// The AWS SDK settings: the standard chain (env, profile, role), pointed
    /// at the local endpoint with dummy credentials when there is one.
    pub async fn aws(&self) -> aws_config::SdkConfig {
        self.aws_with(sdk_timeouts()).await
    }

    /// [`AwsSettings::aws`] with other timeouts: a request handler must give up
    /// before its caller does (API Gateway waits 29 s, the function less).
    pub async fn aws_with(
        &self,
        timeouts: aws_config::timeout::TimeoutConfig,
    ) -> aws_config::SdkConfig {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        let local_endpoint = self.endpoint_url.as_deref().is_some_and(is_loopback);
        if self.region_given || local_endpoint {
            loader = loader.region(aws_config::Region::new(self.region.clone()));
        }
        if let Some(endpoint) = &self.endpoint_url {
            loader = loader.endpoint_url(endpoint);
            // A local emulator takes any credentials; without these the SDK would
            // search profiles and instance metadata first and fail slowly.
            if is_loopback(endpoint) && std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
                loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                    "test", "test", None, None, "local",
                ));
            }
        }
        loader
            .http_client(crate::https::https_client())
            .timeout_config(timeouts)
            .load()
            .await
    }
}

impl AwsSettings {
    /// A function's SDK settings: the region and endpoint above, credentials
    /// from the environment only — Lambda gives a function its role's
    /// credentials there, and a local emulator takes dummies. Without the
    /// standard chain (profiles, web identity and role assumption through
    /// STS, instance metadata), which would add its own STS client to every
    /// function for nothing. orderctl, run by people, keeps [`AwsSettings::aws`].
    ///
    /// In Lambda, a function builds its clients from these settings with its
    /// first event, not in its init (`runtime::batch::serve`,
    /// `runtime::relay::serve`, order-api's main): building an SDK client
    /// parses its service's endpoint rules and partition table (JSON and a
    /// regex per partition), 0.2–0.3 ms a service, which the first event's
    /// own AWS calls dwarf. Init is then settings, logging and the runtime.
    ///
    /// Its timeouts are [`CallBudget::DATA`]'s; build each client with its
    /// service's budget through [`clients`].
    pub fn function(&self) -> aws_config::SdkConfig {
        use aws_config::environment::EnvironmentVariableCredentialsProvider;
        use aws_sdk_dynamodb::config::{Credentials, SharedCredentialsProvider};
        let dummies = self.endpoint_url.as_deref().is_some_and(is_loopback)
            && std::env::var_os("AWS_ACCESS_KEY_ID").is_none();
        let credentials = if dummies {
            SharedCredentialsProvider::new(Credentials::new("test", "test", None, None, "local"))
        } else {
            SharedCredentialsProvider::new(EnvironmentVariableCredentialsProvider::new())
        };
        let mut builder = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(self.region.clone()))
            .credentials_provider(credentials)
            .http_client(crate::https::function_https_client())
            .timeout_config(CallBudget::DATA.timeouts());
        if let Some(endpoint) = &self.endpoint_url {
            builder = builder.endpoint_url(endpoint);
        }
        builder.build()
    }
}

/// Every AWS call is bounded, so an endpoint that is down or stuck is an
/// error in seconds, never a hang: connect 3 s; an attempt 30 s (above
/// SQS's 20 s long poll); a call with its retries 60 s. For people's tools
/// (orderctl) and the tests' own clients; the functions use [`CallBudget`]s.
pub fn sdk_timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(3))
        .operation_attempt_timeout(std::time::Duration::from_secs(30))
        .operation_timeout(std::time::Duration::from_secs(60))
        .build()
}

/// How long one call of a function may take: each attempt, and the call
/// with the SDK's retries (3 attempts, backoff between them).
///
/// A call inside DynamoDB, SQS or SNS takes milliseconds, so an attempt
/// that has not answered in 2 s is a stalled connection: it is cut off and
/// retried on a fresh one, inside the invocation, instead of holding a
/// record (and its idempotency claim) for half a minute. SES gets a few
/// seconds. Each fits the callers' deadlines: a worker fails a record in
/// the 2–3 s it keeps back, and never starts a send it has no time to
/// record (`email-worker`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallBudget {
    pub connect: Duration,
    pub attempt: Duration,
    pub call: Duration,
}

impl CallBudget {
    /// DynamoDB, SQS (but its long poll) and SNS on a worker's path.
    pub const DATA: CallBudget = CallBudget {
        connect: Duration::from_secs(1),
        attempt: Duration::from_secs(2),
        call: Duration::from_secs(6),
    };
    /// SES: a send is slower than a write, and retried less eagerly.
    pub const MAIL: CallBudget = CallBudget {
        connect: Duration::from_secs(1),
        attempt: Duration::from_secs(5),
        call: Duration::from_secs(12),
    };
    /// order-api's calls: a customer waits, and the function answers within
    /// 10 s (its own JSON 500 rather than a gateway timeout).
    pub const REQUEST: CallBudget = CallBudget {
        connect: Duration::from_secs(1),
        attempt: Duration::from_millis(1500),
        call: Duration::from_secs(4),
    };
    /// The relay's publishes: no one waits on them, and during an SNS
    /// brownout an attempt shorter than SNS's answers would never publish
    /// anything. Its own deadline bounds the whole sweep.
    pub const BACKGROUND_PUBLISH: CallBudget = CallBudget {
        connect: Duration::from_secs(1),
        attempt: Duration::from_secs(10),
        call: Duration::from_secs(25),
    };
    /// SQS's long poll holds a receive for up to 20 s by design.
    pub const LONG_POLL: CallBudget = CallBudget {
        connect: Duration::from_secs(1),
        attempt: Duration::from_secs(25),
        call: Duration::from_secs(60),
    };

    pub fn timeouts(&self) -> aws_config::timeout::TimeoutConfig {
        aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.call)
            .build()
    }
}

/// SDK clients with a [`CallBudget`] each, from one set of SDK settings.
pub mod clients {
    use super::{CallBudget, SdkConfig};

    pub fn dynamodb(aws: &SdkConfig, budget: CallBudget) -> aws_sdk_dynamodb::Client {
        let config = aws_sdk_dynamodb::config::Builder::from(aws)
            .timeout_config(budget.timeouts())
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }

    pub fn sns(aws: &SdkConfig, budget: CallBudget) -> aws_sdk_sns::Client {
        let config = aws_sdk_sns::config::Builder::from(aws)
            .timeout_config(budget.timeouts())
            .build();
        aws_sdk_sns::Client::from_conf(config)
    }

    pub fn sqs(aws: &SdkConfig, budget: CallBudget) -> aws_sdk_sqs::Client {
        let config = aws_sdk_sqs::config::Builder::from(aws)
            .timeout_config(budget.timeouts())
            .build();
        aws_sdk_sqs::Client::from_conf(config)
    }

    pub fn ses(aws: &SdkConfig, budget: CallBudget) -> aws_sdk_ses::Client {
        let config = aws_sdk_ses::config::Builder::from(aws)
            .timeout_config(budget.timeouts())
            .build();
        aws_sdk_ses::Client::from_conf(config)
    }
}

/// Whether an endpoint URL points at this machine (`127.0.0.1`, `localhost`, `[::1]`).
fn is_loopback(endpoint: &str) -> bool {
    let rest = endpoint.split("://").nth(1).unwrap_or(endpoint);
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    matches!(host, "localhost" | "[::1]") || host.starts_with("127.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> Env {
        Env::from_lookup(|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn a_local_run_needs_no_settings() {
        let env = env(&[]);
        let aws = AwsSettings::read(&env);
        assert_eq!(env.name("ORDERS_TABLE", "Orders"), "local-Orders");
        assert_eq!(env.name("AUDIT_TABLE", "AuditLogs"), "local-AuditLogs");
        assert_eq!(
            env.topic_arn(&aws).expect("a local default"),
            "arn:aws:sns:us-east-1:123456789012:local-OrderEvents"
        );
        assert_eq!(aws.endpoint_url.as_deref(), Some(LOCAL_ENDPOINT));
        assert!(!env.lambda_mode());
        assert_eq!(env.count("MAX_RECEIVE_COUNT", 3).expect("default"), 3);
    }

    #[test]
    fn a_count_must_be_a_positive_number() {
        let err = env(&[("MAX_RECEIVE_COUNT", "0")])
            .count("MAX_RECEIVE_COUNT", 3)
            .unwrap_err();
        assert_eq!(err.name, "MAX_RECEIVE_COUNT");
    }

    #[test]
    fn an_empty_variable_is_unset() {
        assert_eq!(env(&[("ENVIRONMENT", "")]).environment(), "local");
    }

    #[test]
    fn only_a_loopback_endpoint_gets_dummy_credentials() {
        assert!(is_loopback("http://127.0.0.1:4566"));
        assert!(is_loopback("http://localhost:4566/"));
        assert!(is_loopback("http://[::1]:4566"));
        assert!(!is_loopback("https://sqs.us-east-1.amazonaws.com"));
        assert!(!is_loopback(
            "https://vpce-1.sqs.us-east-1.vpce.amazonaws.com:443"
        ));
    }

    #[test]
    fn a_deployed_function_must_be_told_its_topic() {
        let env = env(&[("ENVIRONMENT", "prod")]);
        let err = env.topic_arn(&AwsSettings::read(&env)).unwrap_err();
        assert_eq!(err.name, "ORDER_TOPIC_ARN");
    }
}
