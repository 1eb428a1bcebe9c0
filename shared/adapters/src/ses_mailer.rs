//! `Mailer` on SES (`SendEmail`): HTML and text bodies, UTF-8, from the configured sender.

use aws_sdk_ses::types::{Body, Content, Destination, Message};
use aws_sdk_ses::Client;

use super::sdk_error::backend_error;
use ports::{BackendError, Email, Mailer, Sent};

const OPERATION: &str = "SES.SendEmail";

#[derive(Debug, Clone)]
pub struct SesMailer {
    client: Client,
    /// The verified identity every message is sent from.
    sender: String,
}

impl SesMailer {
    pub fn new(client: Client, sender: impl Into<String>) -> Self {
        SesMailer {
            client,
            sender: sender.into(),
        }
    }
}

fn utf8(data: &str) -> Result<Content, BackendError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| BackendError::new(OPERATION, false, e))
}

impl Mailer for SesMailer {
    async fn send(&self, email: &Email) -> Result<Sent, BackendError> {
        let body = Body::builder()
            .html(utf8(&email.html)?)
            .text(utf8(&email.text)?)
            .build();
        let message = Message::builder()
            .subject(utf8(&email.subject)?)
            .body(body)
            .build();
        let to = Destination::builder()
            .to_addresses(email.to.as_str())
            .build();
        let output = self
            .client
            .send_email()
            .source(&self.sender)
            .destination(to)
            .message(message)
            .send()
            .await
            .map_err(|e| backend_error(OPERATION, e))?;
        Ok(Sent {
            message_id: output.message_id().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ses::operation::send_email::SendEmailOutput;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;
    use domain::CustomerEmail;

    fn email() -> Email {
        Email {
            to: CustomerEmail::parse("ada@example.com").expect("valid address"),
            subject: "Order Confirmation - Order #1".to_owned(),
            html: "<p>Thanks</p>".to_owned(),
            text: "Thanks".to_owned(),
        }
    }

    fn client(rule: &aws_smithy_mocks::Rule) -> Client {
        // No SDK retries, so that one mocked response is one attempt.
        mock_client!(aws_sdk_ses, RuleMode::Sequential, [rule], |c| c
            .retry_config(aws_sdk_ses::config::retry::RetryConfig::disabled()))
    }

    #[tokio::test]
    async fn sends_both_bodies_from_the_sender_to_the_customer() {
        let rule = mock!(Client::send_email)
            .match_requests(|req| {
                let message = req.message().expect("a message");
                let body = message.body().expect("a body");
                req.source() == Some("orders@example.com")
                    && req.destination().map(|d| d.to_addresses())
                        == Some(&["ada@example.com".to_owned()][..])
                    && message.subject().map(|s| s.data()) == Some("Order Confirmation - Order #1")
                    && body.html().map(|c| c.data()) == Some("<p>Thanks</p>")
                    && body.text().map(|c| c.data()) == Some("Thanks")
            })
            .then_output(|| {
                SendEmailOutput::builder()
                    .message_id("ses-1")
                    .build()
                    .expect("id set")
            });
        let mailer = SesMailer::new(client(&rule), "orders@example.com");

        let sent = mailer.send(&email()).await.expect("sent");

        assert_eq!(sent.message_id, "ses-1");
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_rejected_message_is_not_transient() {
        // SES's own answer for an unverified sender, as the SDK parses it.
        let rule = mock!(Client::send_email)
            .sequence()
            .http_status(
                400,
                Some(
                    "<ErrorResponse><Error><Type>Sender</Type><Code>MessageRejected</Code>\
                     <Message>Email address is not verified.</Message></Error></ErrorResponse>"
                        .to_owned(),
                ),
            )
            .build();
        let mailer = SesMailer::new(client(&rule), "orders@example.com");

        let error = mailer.send(&email()).await.expect_err("rejected");

        assert!(!error.transient);
        let chain = ports::error_chain(&error);
        assert!(chain.contains("MessageRejected"), "{chain}");
        assert!(chain.contains("not verified"), "{chain}");
    }

    #[tokio::test]
    async fn throttling_and_server_errors_are_transient() {
        for (status, body) in [
            (400, "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Maximum sending rate exceeded.</Message></Error></ErrorResponse>"),
            (503, "<ErrorResponse><Error><Code>ServiceUnavailable</Code></Error></ErrorResponse>"),
        ] {
            let rule = mock!(Client::send_email)
                .sequence()
                .http_status(status, Some(body.to_owned()))
                .build();
            let mailer = SesMailer::new(client(&rule), "orders@example.com");

            let error = mailer.send(&email()).await.expect_err("failed");

            assert!(error.transient, "HTTP {status} must be transient");
        }
    }
}
