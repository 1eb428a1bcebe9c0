//! Settings, read once from the environment at start-up.
//!
//! Every name has a default derived from `ENVIRONMENT` (the template's naming:
//! `<env>-Orders`, …), so a deployed function needs only what differs, and a
//! local run needs nothing at all.

use std::net::SocketAddr;
use std::time::Duration;

/// moto's account id, which it uses in every ARN.
const LOCAL_ACCOUNT: &str = "123456789012";
/// Where `make dev` starts the local AWS.
pub const LOCAL_ENDPOINT: &str = "http://127.0.0.1:4566";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `local`, `dev`, `staging`, `prod`: the prefix of every resource name.
    pub environment: String,
    /// The region of ARNs built here; `us-east-1` unless `AWS_REGION` says otherwise.
    pub region: String,
    /// Whether the region was given (`AWS_REGION`/`AWS_DEFAULT_REGION`). If not,
    /// the SDK's chain finds it (a profile's region), except for a local endpoint.
    pub region_given: bool,
    pub orders_table: String,
    pub audit_table: String,
    pub idempotency_table: String,
    pub order_topic_arn: String,
    pub email_queue: String,
    pub audit_queue: String,
    /// The queues' DLQs. A worker takes its DLQ from its queue's
    /// `RedrivePolicy`; these names apply only to a queue without one.
    pub email_dlq: String,
    pub audit_dlq: String,
    /// Likewise the fallback for the policy's `maxReceiveCount` (the template's 3).
    pub max_receive_count: u32,
    /// A local worker's batch deadline, as the function's timeout is in
    /// Lambda: a record's claims hold until then, and its handler is cut off then.
    pub worker_timeout: Duration,
    /// Confirmations one address may receive per hour (`EMAIL_LIMIT_PER_HOUR`).
    pub email_limit_per_hour: u32,
    /// How often the local outbox relay sweeps (Lambda: its schedule).
    pub relay_interval: Duration,
    /// How old an unpublished order must be before the relay publishes it:
    /// order-api's own deadline, before which the request may still do it.
    pub relay_grace: Duration,
    pub sender_email: String,
    /// CORS origins; `*` allows any.
    pub allowed_origins: Vec<String>,
    /// Where the API listens in local mode.
    pub listen_addr: SocketAddr,
    /// Set when running inside Lambda (`AWS_LAMBDA_RUNTIME_API`).
    pub lambda_mode: bool,
    /// A local endpoint for every AWS call (`AWS_ENDPOINT_URL`), if any.
    pub endpoint_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid setting {name}={value:?}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub reason: String,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Reads settings through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let environment = lookup("ENVIRONMENT").unwrap_or_else(|| "local".to_owned());
        let local = environment == "local";
        let given_region = lookup("AWS_REGION").or_else(|| lookup("AWS_DEFAULT_REGION"));
        let region_given = given_region.is_some();
        let region = given_region.unwrap_or_else(|| "us-east-1".to_owned());
        let named = |var: &str, suffix: &str| {
            lookup(var).unwrap_or_else(|| format!("{environment}-{suffix}"))
        };

        let order_topic_arn = match lookup("ORDER_TOPIC_ARN") {
            Some(arn) => arn,
            // Outside local runs the ARN holds the account id: it must be given.
            None if local => {
                format!("arn:aws:sns:{region}:{LOCAL_ACCOUNT}:{environment}-OrderEvents")
            }
            None => {
                return Err(ConfigError {
                    name: "ORDER_TOPIC_ARN",
                    value: String::new(),
                    reason: "required outside the local environment".to_owned(),
                })
            }
        };
        let listen = lookup("LISTEN_ADDR").unwrap_or_else(|| "127.0.0.1:3000".to_owned());
        let listen_addr = listen
            .parse()
            .map_err(|e: std::net::AddrParseError| ConfigError {
                name: "LISTEN_ADDR",
                value: listen.clone(),
                reason: e.to_string(),
            })?;
        let sender_email =
            lookup("SENDER_EMAIL").unwrap_or_else(|| "orders@example.com".to_owned());
        let allowed_origins = lookup("ALLOWED_ORIGINS")
            .unwrap_or_else(|| "*".to_owned())
            .split(',')
            .map(|o| o.trim().to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        let number = |name: &'static str, default: u32| match lookup(name) {
            None => Ok(default),
            Some(value) => match value.parse::<u32>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(ConfigError {
                    name,
                    value,
                    reason: "must be a positive whole number".to_owned(),
                }),
            },
        };
        let max_receive_count = number("MAX_RECEIVE_COUNT", 3)?;
        let worker_timeout = Duration::from_secs(number("WORKER_TIMEOUT_SECONDS", 30)?.into());
        let email_limit_per_hour = number("EMAIL_LIMIT_PER_HOUR", 5)?;
        let relay_interval = Duration::from_secs(number("RELAY_INTERVAL_SECONDS", 5)?.into());
        let relay_grace = Duration::from_secs(number("RELAY_GRACE_SECONDS", 10)?.into());
        let endpoint_url =
            lookup("AWS_ENDPOINT_URL").or_else(|| local.then(|| LOCAL_ENDPOINT.to_owned()));

        Ok(Config {
            orders_table: named("ORDERS_TABLE", "Orders"),
            audit_table: named("AUDIT_TABLE", "AuditLogs"),
            idempotency_table: named("IDEMPOTENCY_TABLE", "Idempotency"),
            email_queue: named("EMAIL_QUEUE", "OrderEmailQueue"),
            audit_queue: named("AUDIT_QUEUE", "OrderAuditQueue"),
            email_dlq: named("EMAIL_DLQ", "OrderEmailDLQ"),
            audit_dlq: named("AUDIT_DLQ", "OrderAuditDLQ"),
            max_receive_count,
            worker_timeout,
            email_limit_per_hour,
            relay_interval,
            relay_grace,
            order_topic_arn,
            sender_email,
            allowed_origins,
            listen_addr,
            lambda_mode: lookup("AWS_LAMBDA_RUNTIME_API").is_some(),
            endpoint_url,
            region,
            region_given,
            environment,
        })
    }

    /// The AWS SDK settings: the standard chain (env, profile, role), pointed
    /// at the local endpoint with dummy credentials when there is one.
    pub async fn aws(&self) -> aws_config::SdkConfig {
        self.aws_with(sdk_timeouts()).await
    }

    /// [`Config::aws`] with other timeouts: a request handler must give up
    /// before its caller does (API Gateway waits 29 s, the function less).
    pub async fn aws_with(
        &self,
        timeouts: aws_config::timeout::TimeoutConfig,
    ) -> aws_config::SdkConfig {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
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
        loader.timeout_config(timeouts).load().await
    }
}

/// Every AWS call is bounded, so an endpoint that is down or stuck is an
/// error in seconds, never a hang: connect 3 s; an attempt 30 s (above
/// SQS's 20 s long poll); a call with its retries 60 s.
pub fn sdk_timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(3))
        .operation_attempt_timeout(std::time::Duration::from_secs(30))
        .operation_timeout(std::time::Duration::from_secs(60))
        .build()
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

    #[test]
    fn a_local_run_needs_no_settings() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.orders_table, "local-Orders");
        assert_eq!(config.audit_table, "local-AuditLogs");
        assert_eq!(
            config.order_topic_arn,
            "arn:aws:sns:us-east-1:123456789012:local-OrderEvents"
        );
        assert_eq!(config.endpoint_url.as_deref(), Some(LOCAL_ENDPOINT));
        assert!(!config.lambda_mode);
        assert_eq!(config.email_dlq, "local-OrderEmailDLQ");
        assert_eq!(config.audit_dlq, "local-OrderAuditDLQ");
        assert_eq!(config.max_receive_count, 3);
        assert_eq!(config.worker_timeout, Duration::from_secs(30));
    }

    #[test]
    fn a_count_must_be_a_positive_number() {
        let err = Config::from_lookup(|n| (n == "MAX_RECEIVE_COUNT").then(|| "0".to_owned()))
            .unwrap_err();
        assert_eq!(err.name, "MAX_RECEIVE_COUNT");
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
        let err =
            Config::from_lookup(|n| (n == "ENVIRONMENT").then(|| "prod".to_owned())).unwrap_err();
        assert_eq!(err.name, "ORDER_TOPIC_ARN");
    }
}
