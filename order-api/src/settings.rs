use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use adapters::{AwsSettings, ConfigError, Env};

use crate::caller::AuthMode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiSettings {
    pub aws: AwsSettings,
    pub orders_table: String,
    /// `ORDER_TOPIC_ARN` (required outside `local`).
    pub order_topic_arn: String,
    /// `ALLOWED_ORIGINS`, comma-separated CORS origins; `*` (the default) allows any.
    pub allowed_origins: Vec<String>,
    /// `LISTEN_ADDR`: where the API listens in local mode (`127.0.0.1:3000`).
    pub listen_addr: SocketAddr,
    /// `AUTH_MODE`: `none` (the default) or `cognito`.
    pub auth: AuthMode,
    /// `PUBLISH_BUDGET_MS` (1000): how long a request waits for SNS.
    pub publish_budget: Duration,
    pub lambda_mode: bool,
}

impl ApiSettings {
    pub fn read(env: &Env) -> Result<ApiSettings, ConfigError> {
        let aws = AwsSettings::read(env)?;
        Ok(ApiSettings {
            auth: env.parse("AUTH_MODE", str::parse)?.unwrap_or_default(),
            publish_budget: Duration::from_millis(env.count("PUBLISH_BUDGET_MS", 1000)?.into()),
            orders_table: env.name("ORDERS_TABLE", "Orders"),
            order_topic_arn: env.topic_arn(&aws)?,
            allowed_origins: env
                .text("ALLOWED_ORIGINS", "*")
                .split(',')
                .map(|o| o.trim().to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            listen_addr: env
                .parse("LISTEN_ADDR", str::parse)?
                .unwrap_or((Ipv4Addr::LOCALHOST, 3000).into()),
            lambda_mode: env.lambda_mode(),
            aws,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayProcessSettings {
    pub aws: AwsSettings,
    pub orders_table: String,
    pub order_topic_arn: String,
    /// `RELAY_INTERVAL_SECONDS` (5): the local relay's (Lambda: its schedule).
    pub interval: Duration,
    /// `RELAY_GRACE_SECONDS` (10): younger orders are left to their request (its deadline).
    pub grace: Duration,
    pub lambda_mode: bool,
}

impl RelayProcessSettings {
    pub fn read(env: &Env) -> Result<RelayProcessSettings, ConfigError> {
        let aws = AwsSettings::read(env)?;
        Ok(RelayProcessSettings {
            orders_table: env.name("ORDERS_TABLE", "Orders"),
            order_topic_arn: env.topic_arn(&aws)?,
            interval: env.seconds("RELAY_INTERVAL_SECONDS", 5)?,
            grace: env.seconds("RELAY_GRACE_SECONDS", 10)?,
            lambda_mode: env.lambda_mode(),
            aws,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_api_needs_no_settings() {
        let settings = ApiSettings::read(&Env::from_lookup(|_| None)).expect("defaults");
        assert_eq!(settings.orders_table, "local-Orders");
        assert_eq!(
            settings.order_topic_arn,
            "arn:aws:sns:us-east-1:123456789012:local-OrderEvents"
        );
        assert_eq!(settings.allowed_origins, ["*"]);
        assert_eq!(settings.listen_addr.to_string(), "127.0.0.1:3000");
        assert!(!settings.lambda_mode);
        assert_eq!(settings.auth, AuthMode::Open);
        assert_eq!(settings.publish_budget, Duration::from_secs(1));
    }

    #[test]
    fn an_unknown_auth_mode_is_refused() {
        let env = Env::from_lookup(|name| (name == "AUTH_MODE").then(|| "oauth".to_owned()));
        assert_eq!(ApiSettings::read(&env).unwrap_err().name, "AUTH_MODE");
    }

    #[test]
    fn a_deployed_api_and_relay_must_be_told_their_topic() {
        let env = Env::from_lookup(|name| (name == "ENVIRONMENT").then(|| "prod".to_owned()));
        assert_eq!(ApiSettings::read(&env).unwrap_err().name, "ORDER_TOPIC_ARN");
        let relay = RelayProcessSettings::read(&env).unwrap_err();
        assert_eq!(relay.name, "ORDER_TOPIC_ARN");
    }
}
