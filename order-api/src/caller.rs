//! Who is ordering, with `AUTH_MODE=cognito`: API Gateway's Cognito authorizer
//! checked the ID token and passes its claims on. The order is the customer's own,
//! confirmed to their verified address only: the public endpoint mails no one else.

use axum::http::request::Parts;
use domain::{CustomerEmail, NewOrder};
use lambda_http::request::RequestContext;
use serde_json::{Map, Value};

/// Whether `POST /order` requires a signed-in caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// Anyone may order for any address (local runs, or dev by choice).
    #[default]
    Open,
    /// API Gateway's Cognito authorizer admits only signed-in callers.
    Cognito,
}

impl std::str::FromStr for AuthMode {
    type Err = String;

    fn from_str(text: &str) -> Result<AuthMode, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "none" => Ok(AuthMode::Open),
            "cognito" => Ok(AuthMode::Cognito),
            other => Err(format!(
                "unknown auth mode {other:?}; expected none or cognito"
            )),
        }
    }
}

/// The signed-in customer, from the token's claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub subject: String,
    pub email: CustomerEmail,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallerError {
    #[error("sign-in is required")]
    NotSignedIn,
    #[error("the signed-in account has no verified email address")]
    Unverified,
    #[error("customerEmail must be the signed-in account's verified address")]
    OtherAddress,
}

impl Caller {
    /// The caller the authorizer vouched for, if any.
    pub fn from_parts(parts: &Parts) -> Result<Caller, CallerError> {
        let claims = parts
            .extensions
            .get::<RequestContext>()
            .and_then(RequestContext::authorizer)
            .and_then(|authorizer| authorizer.fields.get("claims"))
            .and_then(Value::as_object)
            .ok_or(CallerError::NotSignedIn)?;
        Caller::from_claims(claims)
    }

    fn from_claims(claims: &Map<String, Value>) -> Result<Caller, CallerError> {
        // API Gateway passes every claim as text (`"true"`); a JSON bool is read too.
        let claim = |name: &str| match claims.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        let subject = claim("sub")
            .filter(|s| !s.is_empty())
            .ok_or(CallerError::NotSignedIn)?;
        if claim("email_verified").as_deref() != Some("true") {
            return Err(CallerError::Unverified);
        }
        let email = claim("email")
            .and_then(|e| CustomerEmail::parse(&e).ok())
            .ok_or(CallerError::Unverified)?;
        Ok(Caller { subject, email })
    }

    /// The order as this caller may place it.
    pub fn own(&self, mut order: NewOrder) -> Result<NewOrder, CallerError> {
        let sent = order.customer_email.as_str();
        if !sent.eq_ignore_ascii_case(self.email.as_str()) {
            return Err(CallerError::OtherAddress);
        }
        order.customer_email = self.email.clone();
        order.customer_id = Some(self.subject.clone());
        Ok(order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(verified: &str) -> Map<String, Value> {
        let claims = serde_json::json!({
            "sub": "7d3a-sub",
            "email": "ada@example.com",
            "email_verified": verified,
        });
        claims.as_object().cloned().expect("an object")
    }

    fn order(email: &str) -> NewOrder {
        domain::parse_order(
            format!(r#"{{"customerId":"someone-else","customerName":"Ada","customerEmail":"{email}","items":[{{"productId":"p","quantity":1,"price":1}}]}}"#)
                .as_bytes(),
        )
        .expect("a valid order")
    }

    #[test]
    fn the_order_is_the_callers_own_customer_id_from_sub() {
        let caller = Caller::from_claims(&claims("true")).expect("signed in");
        let order = caller.own(order("ADA@example.com")).expect("own address");
        assert_eq!(order.customer_id.as_deref(), Some("7d3a-sub"));
        assert_eq!(order.customer_email.as_str(), "ada@example.com");
    }

    #[test]
    fn another_address_in_the_body_is_refused() {
        let caller = Caller::from_claims(&claims("true")).expect("signed in");
        assert_eq!(
            caller.own(order("victim@example.org")),
            Err(CallerError::OtherAddress)
        );
    }

    #[test]
    fn an_unverified_account_or_no_claims_cannot_order() {
        assert_eq!(
            Caller::from_claims(&claims("false")),
            Err(CallerError::Unverified)
        );
        assert_eq!(
            Caller::from_claims(&Map::new()),
            Err(CallerError::NotSignedIn)
        );
    }

    #[test]
    fn the_mode_is_read_from_its_setting() {
        assert_eq!("cognito".parse(), Ok(AuthMode::Cognito));
        assert_eq!("none".parse(), Ok(AuthMode::Open));
        assert!("oauth".parse::<AuthMode>().is_err());
    }
}
