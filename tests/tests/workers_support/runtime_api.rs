//! A stand-in for the Lambda Runtime API, so a worker binary can be run in
//! Lambda mode on this machine: it hands out the invocations a test queues
//! and collects the function's answers.
//!
//! Just enough HTTP/1.1 for the runtime client: keep-alive connections,
//! `Content-Length` bodies.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Mutex};

const PREFIX: &str = "/2018-06-01/runtime/";

/// What the function posted about an invocation (or about its start-up).
#[derive(Debug, Clone)]
pub struct Answer {
    /// The request id, or `init` for an initialisation error.
    pub request_id: String,
    /// `response` or `error`.
    pub kind: String,
    pub body: String,
}

#[derive(Debug)]
pub struct RuntimeApi {
    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub address: String,
    invocations: mpsc::UnboundedSender<(String, String)>,
    answers: mpsc::UnboundedReceiver<Answer>,
}

impl RuntimeApi {
    pub async fn start() -> RuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("no local port for the runtime API: {e}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("runtime API address: {e}"))
            .to_string();
        let (invocations, pending) = mpsc::unbounded_channel();
        let (answered, answers) = mpsc::unbounded_channel();
        let pending = Arc::new(Mutex::new(pending));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, pending.clone(), answered.clone()));
            }
        });
        RuntimeApi {
            address,
            invocations,
            answers,
        }
    }

    /// Queues an invocation with `event` as its payload.
    pub fn invoke(&self, request_id: &str, event: &serde_json::Value) {
        let _ = self
            .invocations
            .send((request_id.to_owned(), event.to_string()));
    }

    /// The next answer the function posts.
    pub async fn answer(&mut self) -> Option<Answer> {
        self.answers.recv().await
    }
}

type Pending = Arc<Mutex<mpsc::UnboundedReceiver<(String, String)>>>;

async fn serve(mut stream: TcpStream, pending: Pending, answered: mpsc::UnboundedSender<Answer>) {
    let mut buffer = Vec::new();
    while let Some((method, path, body)) = read_request(&mut stream, &mut buffer).await {
        let route = path.strip_prefix(PREFIX).unwrap_or_default().to_owned();
        let response = match (
            method.as_str(),
            route.split('/').collect::<Vec<_>>().as_slice(),
        ) {
            ("GET", ["invocation", "next"]) => {
                // Held open until the test queues an invocation, as Lambda does.
                let Some((request_id, event)) = pending.lock().await.recv().await else {
                    return;
                };
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                     lambda-runtime-aws-request-id: {request_id}\r\n\
                     lambda-runtime-deadline-ms: 32503680000000\r\n\
                     lambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:worker\r\n\
                     content-length: {}\r\n\r\n{event}",
                    event.len()
                )
            }
            ("POST", ["invocation", request_id, kind]) => {
                let _ = answered.send(Answer {
                    request_id: (*request_id).to_owned(),
                    kind: (*kind).to_owned(),
                    body,
                });
                accepted()
            }
            ("POST", ["init", "error"]) => {
                let _ = answered.send(Answer {
                    request_id: "init".to_owned(),
                    kind: "error".to_owned(),
                    body,
                });
                accepted()
            }
            _ => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".to_owned(),
        };
        if stream.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn accepted() -> String {
    let body = r#"{"status":"OK"}"#;
    format!(
        "HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// The next request on the connection: method, path, body. `None` once closed.
async fn read_request(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> Option<(String, String, String)> {
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        read_more(stream, buffer).await?;
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut request_line = lines.next()?.split_whitespace();
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let length: usize = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        read_more(stream, buffer).await?;
    }
    let body = String::from_utf8_lossy(&buffer[head_end..head_end + length]).into_owned();
    buffer.drain(..head_end + length);
    Some((method, path, body))
}

async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 8192];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => None,
        Ok(n) => {
            buffer.extend_from_slice(&chunk[..n]);
            Some(())
        }
    }
}
