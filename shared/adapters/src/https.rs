//! The HTTPS client under every AWS SDK client: hyper with rustls on ring (the
//! SDK's default, aws-lc-rs, adds 1.5 MiB of C to each function's zip). Its
//! hyper client builds a TLS set-up (trust store, rustls config) for each SDK
//! client only to throw it away (four in email-worker's init); `FirstCallTls`
//! builds it once, at the first call, for every client of one `SdkConfig`.

use aws_sdk_dynamodb::config::{
    ConfigBag, HttpClient, IntoShared, RuntimeComponents, RuntimeComponentsBuilder,
    SharedHttpClient,
};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider, TlsContext, TrustStore};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{HttpConnectorSettings, SharedHttpConnector};

/// Amazon Trust Services' roots, to which AWS's endpoints chain (docs/decisions/0004).
const AWS_ROOTS: &[u8] = include_bytes!("../certs/aws-roots.pem");

/// The operators' HTTPS client (orderctl, the tests): the system's roots.
pub fn https_client() -> SharedHttpClient {
    on_ring(TlsContext::default())
}

/// A function's HTTPS client, trusting only `AWS_ROOTS`: reading the system's
/// whole store was most of a function's init (docs/decisions/0004).
pub(crate) fn function_https_client() -> SharedHttpClient {
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(AWS_ROOTS);
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        // The roots are this crate's own file: a test parses them.
        .unwrap_or_default();
    on_ring(context)
}

fn on_ring(context: TlsContext) -> SharedHttpClient {
    let client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https();
    FirstCallTls(client).into_shared()
}

#[derive(Debug)]
struct FirstCallTls(SharedHttpClient);

impl HttpClient for FirstCallTls {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    /// The inner client would build a TLS set-up here and drop it (nothing else
    /// is checked, and its result is ignored there too).
    fn validate_base_client_config(
        &self,
        _: &RuntimeComponentsBuilder,
        _: &ConfigBag,
    ) -> Result<(), BoxError> {
        Ok(())
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.validate_final_config(components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorFuture};
    use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
    use aws_smithy_types::body::SdkBody;

    use super::*;

    /// An HTTP client that counts what the SDK asks of it and answers every
    /// request with an empty JSON object (SQS's `ListQueues` with no queues).
    #[derive(Debug, Clone, Default)]
    struct Counting(Arc<Counts>);

    #[derive(Debug, Default)]
    struct Counts {
        throwaway_builds: AtomicUsize,
        connectors: AtomicUsize,
    }

    #[derive(Debug)]
    struct EmptyJson;

    impl HttpConnector for EmptyJson {
        fn call(&self, _: HttpRequest) -> HttpConnectorFuture {
            let status = 200.try_into().expect("a status");
            HttpConnectorFuture::ready(Ok(HttpResponse::new(status, SdkBody::from("{}"))))
        }
    }

    impl HttpClient for Counting {
        fn http_connector(
            &self,
            _: &HttpConnectorSettings,
            _: &RuntimeComponents,
        ) -> SharedHttpConnector {
            self.0.connectors.fetch_add(1, Ordering::SeqCst);
            SharedHttpConnector::new(EmptyJson)
        }

        fn validate_base_client_config(
            &self,
            _: &RuntimeComponentsBuilder,
            _: &ConfigBag,
        ) -> Result<(), BoxError> {
            self.0.throwaway_builds.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    #[tokio::test]
    async fn clients_are_made_without_a_connector_and_a_call_gets_one() {
        let inner = Counting::default();
        let counts = inner.0.clone();
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
                aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "test"),
            ))
            .http_client(SharedHttpClient::new(FirstCallTls(SharedHttpClient::new(
                inner,
            ))))
            .build();
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let _dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
        assert_eq!(counts.throwaway_builds.load(Ordering::SeqCst), 0);
        assert_eq!(counts.connectors.load(Ordering::SeqCst), 0);

        sqs.list_queues().send().await.expect("the canned answer");
        assert_eq!(counts.throwaway_builds.load(Ordering::SeqCst), 0);
        assert!(counts.connectors.load(Ordering::SeqCst) >= 1);
    }

    #[test]
    fn the_functions_trust_amazons_five_roots_and_each_parses() {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::CertificateDer;
        let roots: Vec<_> = CertificateDer::pem_slice_iter(AWS_ROOTS)
            .collect::<Result<_, _>>()
            .expect("every root is a PEM certificate");
        assert_eq!(roots.len(), 5);
        assert!(roots.iter().all(|der| der.len() > 400));
    }
}
