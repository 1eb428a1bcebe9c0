//! `spawn_app`: the real order-api binary on a free port, against a stack.

use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use crate::process::FleetProcess;
use crate::Stack;

/// A running order-api and a client for it.
#[derive(Debug)]
pub struct App {
    pub address: String,
    pub client: reqwest::Client,
    pub process: FleetProcess,
}

impl App {
    /// Starts order-api on a free 127.0.0.1 port and waits until it accepts connections.
    pub fn spawn(stack: &Stack, extra: &[(&str, String)]) -> App {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free port on 127.0.0.1: {e}"));
        let mut settings = vec![("LISTEN_ADDR", format!("127.0.0.1:{port}"))];
        settings.extend(extra.iter().map(|(k, v)| (*k, v.clone())));
        let mut process = FleetProcess::start("order-api", stack, &settings);
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                process.is_running() && Instant::now() < deadline,
                "order-api did not start listening on {port}\n{}",
                process.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        App {
            address: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
            process,
        }
    }

    /// `POST /order` with a JSON body and an optional `Idempotency-Key`.
    pub async fn post_order(&self, body: &str, key: Option<&str>) -> (u16, serde_json::Value) {
        let mut request = self
            .client
            .post(format!("{}/order", self.address))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        self.read(request).await
    }

    /// Sends a request and reads its status and JSON body (`null` when empty).
    pub async fn read(&self, request: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
        let response = request.send().await.unwrap_or_else(|e| {
            panic!("order-api did not answer: {e}\n{}", self.process.log_tail())
        });
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let body = if text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("a non-JSON body ({e}): {text}"))
        };
        (status, body)
    }
}
