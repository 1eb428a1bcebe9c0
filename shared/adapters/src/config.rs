//! Settings, read once from the environment at start-up. Each binary builds
//! from [`Env`] only the settings it uses, so a worker never fails on what only
//! the API needs; every name defaults from `ENVIRONMENT` (`<env>-Orders`, …), so
//! a deployed function needs only what differs, a local run nothing.

use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::{RetryConfig, RetryMode};
use aws_config::AppName;
use aws_sdk_dynamodb::config::{Credentials, SharedCredentialsProvider};
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};

/// What every SDK client is built from: [`AwsSettings::function`] or [`AwsSettings::aws`].
pub use aws_config::SdkConfig;

/// moto's account id, which it uses in every ARN.
const LOCAL_ACCOUNT: &str = "123456789012";
/// Where `make dev` starts the local AWS.
const LOCAL_ENDPOINT: &str = "http://127.0.0.1:4566";

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

    /// `ENVIRONMENT` (`local`, `dev`, `staging`, `prod`): every resource's prefix.
    pub fn environment(&self) -> String {
        self.text("ENVIRONMENT", "local")
    }

    /// A resource's name: `var` if set, else `<env>-<suffix>` as the template names it.
    pub fn name(&self, var: &str, suffix: &str) -> String {
        self.get(var)
            .unwrap_or_else(|| format!("{}-{suffix}", self.environment()))
    }

    pub fn text(&self, var: &str, default: &str) -> String {
        self.get(var).unwrap_or_else(|| default.to_owned())
    }

    /// A positive whole number.
    pub fn count(&self, name: &'static str, default: u32) -> Result<u32, ConfigError> {
        let count = self.parse(name, |value| {
            let positive = value.parse::<u32>().ok().filter(|n| *n > 0);
            positive.ok_or("must be a positive whole number")
        })?;
        Ok(count.unwrap_or(default))
    }

    /// A positive number of seconds.
    pub fn seconds(&self, name: &'static str, default: u32) -> Result<Duration, ConfigError> {
        Ok(Duration::from_secs(self.count(name, default)?.into()))
    }

    /// `true` or `false`, in any case (as the AWS SDK reads its own flags), if set.
    fn flag(&self, name: &'static str) -> Result<Option<bool>, ConfigError> {
        self.parse(name, |value| {
            let value = value.to_ascii_lowercase();
            value.parse::<bool>().map_err(|_| "must be true or false")
        })
    }

    /// `name` through `parse`, if set; what `parse` says is the reason it is invalid.
    pub fn parse<T, E: std::fmt::Display>(
        &self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, ConfigError> {
        self.get(name)
            .map(|value| {
                parse(&value).map_err(|reason| ConfigError {
                    name,
                    reason: reason.to_string(),
                    value,
                })
            })
            .transpose()
    }

    /// Set when running inside Lambda (`AWS_LAMBDA_RUNTIME_API`).
    pub fn lambda_mode(&self) -> bool {
        self.get("AWS_LAMBDA_RUNTIME_API").is_some()
    }

    /// `ORDER_TOPIC_ARN`: it holds the account id, so only a local run has a default.
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

/// The last field of an ARN: a topic's or a queue's name.
pub fn arn_name(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

/// Where the AWS calls go, which every binary needs, and the SDK's own settings
/// from the environment, which a function's hand-built settings would otherwise
/// ignore. An invalid one is a [`ConfigError`], where the SDK would warn and use
/// its default (or, for retries, panic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSettings {
    pub environment: String,
    /// The region of ARNs built here; `us-east-1` unless `AWS_REGION` says otherwise.
    pub region: String,
    /// Whether the region was given (`AWS_REGION`/`AWS_DEFAULT_REGION`). If not,
    /// the SDK's chain finds it (a profile's region), except for a local endpoint.
    pub region_given: bool,
    /// `AWS_ENDPOINT_URL`, for every AWS call; `make dev`'s moto when `local`.
    pub endpoint_url: Option<String>,
    /// `AWS_PROFILE`, so that a command line's `--profile` reaches the SDK too.
    pub profile: Option<String>,
    /// `AWS_SDK_UA_APP_ID`: `app/<id>` in each user agent, to tell processes apart.
    pub app_name: Option<AppName>,
    /// `AWS_MAX_ATTEMPTS` (3, the SDK's), the first included; the client's
    /// [`CallBudget`] still bounds the call.
    pub max_attempts: u32,
    /// `AWS_RETRY_MODE`: `standard` (the SDK's default) or `adaptive`.
    pub retry_mode: RetryMode,
    /// `AWS_USE_FIPS_ENDPOINT`.
    pub use_fips: Option<bool>,
    /// `AWS_USE_DUALSTACK_ENDPOINT`.
    pub use_dual_stack: Option<bool>,
    /// `AWS_ENDPOINT_URL_<SERVICE>`, which wins over `AWS_ENDPOINT_URL` for its service.
    pub service_endpoints: ServiceEndpoints,
}

impl AwsSettings {
    /// The settings, or the first invalid one.
    pub fn read(env: &Env) -> Result<AwsSettings, ConfigError> {
        let environment = env.environment();
        let given_region = env
            .get("AWS_REGION")
            .or_else(|| env.get("AWS_DEFAULT_REGION"));
        let local = environment == "local";
        let standard = RetryConfig::standard();
        Ok(AwsSettings {
            region_given: given_region.is_some(),
            region: given_region.unwrap_or_else(|| "us-east-1".to_owned()),
            endpoint_url: env
                .get("AWS_ENDPOINT_URL")
                .or_else(|| local.then(|| LOCAL_ENDPOINT.to_owned())),
            profile: env.get("AWS_PROFILE"),
            app_name: env.parse("AWS_SDK_UA_APP_ID", |id| AppName::new(id.to_owned()))?,
            max_attempts: env.count("AWS_MAX_ATTEMPTS", standard.max_attempts())?,
            retry_mode: env
                .parse("AWS_RETRY_MODE", |mode| {
                    // The SDK's own parser; its message lists the modes over several lines.
                    mode.parse::<RetryMode>().map_err(|_| {
                        "must be standard or adaptive (the Rust SDK has no legacy mode)"
                    })
                })?
                .unwrap_or(standard.mode()),
            use_fips: env.flag("AWS_USE_FIPS_ENDPOINT")?,
            use_dual_stack: env.flag("AWS_USE_DUALSTACK_ENDPOINT")?,
            service_endpoints: ServiceEndpoints::read(env),
            environment,
        })
    }

    pub fn is_local(&self) -> bool {
        self.environment == "local"
    }

    /// Dummy credentials for a loopback `AWS_ENDPOINT_URL` when the process has
    /// none: an emulator takes any, and the SDK's search would fail slowly. One
    /// service sent to a local fake (`AWS_ENDPOINT_URL_<SERVICE>`) gets none.
    fn local_credentials(&self) -> Option<SharedCredentialsProvider> {
        let loopback = self.endpoint_url.as_deref().is_some_and(is_loopback);
        (loopback && std::env::var_os("AWS_ACCESS_KEY_ID").is_none()).then(|| {
            SharedCredentialsProvider::new(Credentials::new("test", "test", None, None, "local"))
        })
    }

    /// People's SDK settings (orderctl): the standard chain, which reads the
    /// SDK's own settings itself, pointed at the local endpoint if there is one.
    pub async fn aws(&self) -> SdkConfig {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        if self.region_given || self.endpoint_url.as_deref().is_some_and(is_loopback) {
            loader = loader.region(aws_config::Region::new(self.region.clone()));
        }
        if let Some(endpoint) = &self.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        if let Some(credentials) = self.local_credentials() {
            loader = loader.credentials_provider(credentials);
        }
        loader
            .http_client(crate::https::https_client())
            .timeout_config(sdk_timeouts())
            .load()
            .await
    }

    /// A function's SDK settings: credentials from the environment (Lambda puts
    /// the role's there) without the standard chain and its STS client, the SDK
    /// settings that chain would read, and [`CallBudget::DATA`]'s timeouts
    /// ([`clients`] gives each client its budget). Lambda builds clients at the
    /// first event, not in init: each parses its endpoint rules, 0.2–0.3 ms.
    pub fn function(&self) -> SdkConfig {
        use aws_config::environment::EnvironmentVariableCredentialsProvider;
        let credentials = self.local_credentials().unwrap_or_else(|| {
            SharedCredentialsProvider::new(EnvironmentVariableCredentialsProvider::new())
        });
        let retry = RetryConfig::standard().with_retry_mode(self.retry_mode);
        let mut builder = SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(self.region.clone()))
            .credentials_provider(credentials)
            .http_client(crate::https::function_https_client())
            .timeout_config(CallBudget::DATA.timeouts())
            .retry_config(retry.with_max_attempts(self.max_attempts))
            .service_config(self.service_endpoints.clone());
        builder.set_app_name(self.app_name.clone());
        builder.set_use_fips(self.use_fips);
        builder.set_use_dual_stack(self.use_dual_stack);
        builder.set_endpoint_url(self.endpoint_url.clone());
        builder.build()
    }
}

/// Each service's own endpoint by SDK service id, which a client's
/// `Builder::from(&SdkConfig)` asks for before taking `AWS_ENDPOINT_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEndpoints(Vec<(&'static str, String)>);

impl ServiceEndpoints {
    /// The services of [`clients`]: each client's `ServiceConfigKey` id, and
    /// its variable (the id in capitals, the SDK's rule).
    const VARIABLES: [(&'static str, &'static str); 4] = [
        ("DynamoDB", "AWS_ENDPOINT_URL_DYNAMODB"),
        ("SNS", "AWS_ENDPOINT_URL_SNS"),
        ("SQS", "AWS_ENDPOINT_URL_SQS"),
        ("SES", "AWS_ENDPOINT_URL_SES"),
    ];

    fn read(env: &Env) -> ServiceEndpoints {
        let set = |&(service, var): &(&'static str, &str)| Some((service, env.get(var)?));
        ServiceEndpoints(Self::VARIABLES.iter().filter_map(set).collect())
    }
}

impl LoadServiceConfig for ServiceEndpoints {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        // Clients ask for the endpoint only: `AWS_ENDPOINT_URL`, by service id.
        if key.env() != "AWS_ENDPOINT_URL" {
            return None;
        }
        self.0
            .iter()
            .find(|(service, _)| *service == key.service_id())
            .map(|(_, endpoint)| endpoint.clone())
    }
}

/// Timeouts for people's tools (orderctl) and the tests' own clients, so a
/// stuck endpoint is an error, never a hang; the functions use [`CallBudget`]s.
pub fn sdk_timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(30))
        .operation_timeout(Duration::from_secs(60))
        .build()
}

/// How long one call of a function may take: each attempt, and the call with
/// the SDK's retries; each fits its callers' deadlines (docs/decisions/0007).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallBudget {
    pub connect: Duration,
    pub attempt: Duration,
    pub call: Duration,
}

impl CallBudget {
    const fn new(attempt: Duration, call: Duration) -> CallBudget {
        CallBudget {
            connect: Duration::from_secs(1),
            attempt,
            call,
        }
    }

    /// DynamoDB, SQS (but its long poll) and SNS on a worker's path.
    pub const DATA: CallBudget = CallBudget::new(Duration::from_secs(2), Duration::from_secs(6));
    /// SES: a send is slower than a write, and retried less eagerly.
    pub const MAIL: CallBudget = CallBudget::new(Duration::from_secs(5), Duration::from_secs(12));
    /// order-api's: a customer waits, and the function answers (a 500 of its own) within 10 s.
    pub const REQUEST: CallBudget =
        CallBudget::new(Duration::from_millis(1500), Duration::from_secs(4));
    /// The relay's calls: no one waits on them, and in a brownout shorter
    /// attempts would only repeat them. Its own deadline bounds the sweep.
    pub const BACKGROUND: CallBudget =
        CallBudget::new(Duration::from_secs(10), Duration::from_secs(25));
    /// SQS's long poll holds a receive for up to 20 s by design.
    pub const LONG_POLL: CallBudget =
        CallBudget::new(Duration::from_secs(25), Duration::from_secs(60));

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

    macro_rules! client {
        ($name:ident, $sdk:ident) => {
            pub fn $name(aws: &SdkConfig, budget: CallBudget) -> $sdk::Client {
                let config = $sdk::config::Builder::from(aws).timeout_config(budget.timeouts());
                $sdk::Client::from_conf(config.build())
            }
        };
    }

    client!(dynamodb, aws_sdk_dynamodb);
    client!(sns, aws_sdk_sns);
    client!(sqs, aws_sdk_sqs);
    client!(ses, aws_sdk_ses);
}

/// Whether an endpoint URL points at this machine (`127.0.0.1`, `localhost`, `[::1]`).
fn is_loopback(endpoint: &str) -> bool {
    let rest = endpoint.split("://").nth(1).unwrap_or(endpoint);
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    let host = match host.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => host,
    };
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
        let aws = AwsSettings::read(&env).expect("valid settings");
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
        let err = env
            .topic_arn(&AwsSettings::read(&env).expect("valid settings"))
            .unwrap_err();
        assert_eq!(err.name, "ORDER_TOPIC_ARN");
    }

    /// The SDK settings and clients of a function, and what they send.
    mod sdk_settings {
        use std::sync::{Arc, Mutex};

        use aws_sdk_dynamodb::config::{
            Credentials, HttpClient, RuntimeComponents, SharedCredentialsProvider,
        };
        use aws_smithy_runtime_api::client::http::{
            HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
        };
        use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
        use aws_smithy_types::body::SdkBody;

        use super::*;

        /// A deployed function in us-east-1 with these settings besides.
        fn deployed(vars: &'static [(&'static str, &'static str)]) -> AwsSettings {
            AwsSettings::read(&Env::from_lookup(|name| match name {
                "ENVIRONMENT" => Some("prod".to_owned()),
                "AWS_REGION" => Some("us-east-1".to_owned()),
                _ => vars
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned()),
            }))
            .expect("valid settings")
        }

        /// An HTTP client that keeps each request's URI and `x-amz-user-agent`,
        /// and answers every request with an empty JSON object.
        #[derive(Debug, Clone, Default)]
        struct Recording(Arc<Mutex<Vec<(String, String)>>>);

        impl Recording {
            fn uris(&self) -> Vec<String> {
                let requests = self.0.lock().expect("not poisoned");
                requests.iter().map(|(uri, _)| uri.clone()).collect()
            }
        }

        impl HttpConnector for Recording {
            fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
                let agent = request
                    .headers()
                    .get("x-amz-user-agent")
                    .unwrap_or_default();
                self.0
                    .lock()
                    .expect("not poisoned")
                    .push((request.uri().to_owned(), agent.to_owned()));
                let status = 200.try_into().expect("a status");
                HttpConnectorFuture::ready(Ok(HttpResponse::new(status, SdkBody::from("{}"))))
            }
        }

        impl HttpClient for Recording {
            fn http_connector(
                &self,
                _: &HttpConnectorSettings,
                _: &RuntimeComponents,
            ) -> SharedHttpConnector {
                SharedHttpConnector::new(self.clone())
            }
        }

        /// `aws.function()`, sending to a [`Recording`] with test credentials
        /// (a deployed function's come from its environment).
        fn recorded(aws: &AwsSettings) -> (SdkConfig, Recording) {
            let recording = Recording::default();
            let sdk = aws
                .function()
                .to_builder()
                .http_client(recording.clone())
                .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                    "test", "test", None, None, "test",
                )))
                .build();
            (sdk, recording)
        }

        /// One call of each client, through [`clients`]; the URIs they went to.
        /// Only the request matters: SNS's and SES's XML answers do not parse.
        async fn one_call_each(sdk: &SdkConfig, recording: &Recording) -> [String; 4] {
            let budget = CallBudget::DATA;
            let dynamodb = clients::dynamodb(sdk, budget).list_tables().send().await;
            dynamodb.expect("DynamoDB's answer");
            let _ = clients::sns(sdk, budget).list_topics().send().await;
            let sqs = clients::sqs(sdk, budget).list_queues().send().await;
            sqs.expect("SQS's answer");
            let _ = clients::ses(sdk, budget).list_identities().send().await;
            recording.uris().try_into().expect("one request each")
        }

        #[tokio::test]
        async fn without_sdk_settings_a_function_keeps_the_sdks_defaults() {
            let aws = deployed(&[]);
            let (sdk, recording) = recorded(&aws);
            assert_eq!(sdk.retry_config(), Some(&RetryConfig::standard()));
            assert_eq!(sdk.app_name(), None);
            assert_eq!(sdk.use_fips(), None);
            assert_eq!(sdk.use_dual_stack(), None);
            let dynamodb = clients::dynamodb(&sdk, CallBudget::DATA);
            let retry = dynamodb.config().retry_config().expect("a retry config");
            assert_eq!(
                (retry.mode(), retry.max_attempts()),
                (RetryMode::Standard, 3)
            );
            assert_eq!(
                one_call_each(&sdk, &recording).await,
                [
                    "https://dynamodb.us-east-1.amazonaws.com/",
                    "https://sns.us-east-1.amazonaws.com/",
                    "https://sqs.us-east-1.amazonaws.com/",
                    "https://email.us-east-1.amazonaws.com/",
                ]
            );
        }

        #[tokio::test]
        async fn the_app_id_is_in_each_requests_user_agent() {
            let aws = deployed(&[("AWS_SDK_UA_APP_ID", "email-worker-canary")]);
            let (sdk, recording) = recorded(&aws);
            assert_eq!(
                sdk.app_name().map(AsRef::as_ref),
                Some("email-worker-canary")
            );
            let dynamodb = clients::dynamodb(&sdk, CallBudget::DATA);
            dynamodb
                .list_tables()
                .send()
                .await
                .expect("the canned answer");
            let requests = recording.0.lock().expect("not poisoned");
            let (_, agent) = requests.first().expect("one request");
            assert!(agent.contains(" app/email-worker-canary"), "{agent}");
        }

        #[test]
        fn max_attempts_and_retry_mode_apply_to_every_client_beside_its_budget() {
            let aws = deployed(&[("AWS_MAX_ATTEMPTS", "5"), ("AWS_RETRY_MODE", "Adaptive")]);
            let sdk = aws.function();
            let expected = RetryConfig::adaptive().with_max_attempts(5);
            assert_eq!(sdk.retry_config(), Some(&expected));
            let dynamodb = clients::dynamodb(&sdk, CallBudget::REQUEST);
            let sns = clients::sns(&sdk, CallBudget::BACKGROUND);
            let sqs = clients::sqs(&sdk, CallBudget::LONG_POLL);
            let ses = clients::ses(&sdk, CallBudget::MAIL);
            let configs = [
                (
                    dynamodb.config().retry_config(),
                    dynamodb.config().timeout_config(),
                ),
                (sns.config().retry_config(), sns.config().timeout_config()),
                (sqs.config().retry_config(), sqs.config().timeout_config()),
                (ses.config().retry_config(), ses.config().timeout_config()),
            ];
            let budgets = [
                CallBudget::REQUEST,
                CallBudget::BACKGROUND,
                CallBudget::LONG_POLL,
                CallBudget::MAIL,
            ];
            for ((retry, timeouts), budget) in configs.into_iter().zip(budgets) {
                assert_eq!(retry, Some(&expected));
                assert_eq!(timeouts, Some(&budget.timeouts()));
            }
        }

        #[tokio::test]
        async fn fips_sends_each_call_to_its_services_fips_endpoint() {
            let aws = deployed(&[("AWS_USE_FIPS_ENDPOINT", "true")]);
            let (sdk, recording) = recorded(&aws);
            assert_eq!(sdk.use_fips(), Some(true));
            assert_eq!(
                one_call_each(&sdk, &recording).await,
                [
                    "https://dynamodb-fips.us-east-1.amazonaws.com/",
                    "https://sns-fips.us-east-1.amazonaws.com/",
                    "https://sqs-fips.us-east-1.amazonaws.com/",
                    "https://email-fips.us-east-1.amazonaws.com/",
                ]
            );
        }

        #[tokio::test]
        async fn dual_stack_sends_each_call_to_the_dual_stack_endpoint() {
            let aws = deployed(&[("AWS_USE_DUALSTACK_ENDPOINT", "TRUE")]);
            let (sdk, recording) = recorded(&aws);
            assert_eq!(sdk.use_dual_stack(), Some(true));
            let dynamodb = clients::dynamodb(&sdk, CallBudget::DATA);
            dynamodb
                .list_tables()
                .send()
                .await
                .expect("the canned answer");
            assert_eq!(recording.uris(), ["https://dynamodb.us-east-1.api.aws/"]);
        }

        #[tokio::test]
        async fn each_services_endpoint_reaches_its_own_client() {
            let aws = deployed(&[
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
                ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000"),
                ("AWS_ENDPOINT_URL_SNS", "http://127.0.0.1:8001"),
                ("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:8002"),
                ("AWS_ENDPOINT_URL_SES", "http://127.0.0.1:8003"),
            ]);
            let (sdk, recording) = recorded(&aws);
            assert_eq!(
                one_call_each(&sdk, &recording).await,
                [
                    "http://127.0.0.1:8000/",
                    "http://127.0.0.1:8001/",
                    "http://127.0.0.1:8002/",
                    "http://127.0.0.1:8003/",
                ]
            );
        }

        #[tokio::test]
        async fn a_services_endpoint_wins_over_the_global_one_for_that_service_only() {
            // A local run: the global endpoint is make dev's moto by default.
            let aws = AwsSettings::read(&env(&[("AWS_ENDPOINT_URL_SES", "http://localhost:8005")]))
                .expect("valid settings");
            assert_eq!(aws.endpoint_url.as_deref(), Some(LOCAL_ENDPOINT));
            let (sdk, recording) = recorded(&aws);
            assert_eq!(
                one_call_each(&sdk, &recording).await,
                [
                    "http://127.0.0.1:4566/",
                    "http://127.0.0.1:4566/",
                    "http://127.0.0.1:4566/",
                    "http://localhost:8005/",
                ]
            );
        }

        #[test]
        fn a_loopback_endpoint_for_one_service_brings_no_dummy_credentials() {
            let credentials = |aws: &AwsSettings| {
                let sdk = aws.function();
                format!("{:?}", sdk.credentials_provider().expect("a provider"))
            };
            let aws = deployed(&[("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000")]);
            let provider = credentials(&aws);
            assert!(
                provider.contains("EnvironmentVariableCredentialsProvider"),
                "{provider}"
            );
            // Dummies with a loopback global endpoint, as before (unless the
            // process has credentials of its own: scripts/dev.sh gives some).
            let local = AwsSettings::read(&env(&[])).expect("valid settings");
            if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
                let provider = credentials(&local);
                assert!(provider.contains("provider_name: \"local\""), "{provider}");
            }
        }

        #[test]
        fn an_invalid_sdk_setting_fails_naming_its_variable() {
            let invalid = [
                ("AWS_MAX_ATTEMPTS", "abc"),
                ("AWS_MAX_ATTEMPTS", "0"),
                ("AWS_RETRY_MODE", "bogus"),
                ("AWS_RETRY_MODE", "legacy"),
                ("AWS_USE_FIPS_ENDPOINT", "yes"),
                ("AWS_USE_DUALSTACK_ENDPOINT", "1"),
                ("AWS_SDK_UA_APP_ID", "email worker"),
            ];
            for (name, value) in invalid {
                let env = Env::from_lookup(move |var| (var == name).then(|| value.to_owned()));
                let err = AwsSettings::read(&env).expect_err(name);
                assert_eq!((err.name, err.value.as_str()), (name, value));
            }
        }
    }
}
