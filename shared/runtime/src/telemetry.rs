//! Logging: JSON lines in Lambda, readable lines locally. A JSON line carries
//! every field of the event and of its spans (`requestId`, `orderId`, …) at
//! the top level, so CloudWatch Logs Insights filters on them directly.
//! Emails are masked by `CustomerEmail`'s `Display`; log them with `%`.

use std::fmt;
use std::io::IsTerminal;

use ports::error_chain;
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::layer::{Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the global subscriber: JSON in Lambda or with `LOG_FORMAT=json`. The level:
/// `RUST_LOG`, else `AWS_LAMBDA_LOG_LEVEL` (LoggingConfig), else `LOG_LEVEL`, else `info`.
pub fn init(component: &'static str) {
    let json = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some()
        || std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let level = std::env::var("RUST_LOG")
        // Lambda's levels are `tracing`'s, and `FATAL`.
        .or_else(|_| {
            std::env::var("AWS_LAMBDA_LOG_LEVEL")
                .map(|l| l.to_lowercase().replace("fatal", "error"))
        })
        .or_else(|_| std::env::var("LOG_LEVEL").map(|l| l.to_lowercase()))
        .unwrap_or_else(|_| "info".to_owned());
    // `Targets` reads RUST_LOG's plain form (`info`, `order_api=debug,warn`);
    // the regex-based EnvFilter would add regex-automata to every binary.
    let filter = level
        .parse::<Targets>()
        .unwrap_or_else(|_| Targets::new().with_default(LevelFilter::INFO));
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let layer = if json {
        layer
            .fmt_fields(JsonFields::new())
            .event_format(JsonLines {
                component,
                function_name: std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok(),
                function_version: std::env::var("AWS_LAMBDA_FUNCTION_VERSION").ok(),
            })
            .boxed()
    } else {
        // Colours only for a person at a terminal: files and pipes get plain text.
        let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        layer.with_target(false).with_ansi(colour).compact().boxed()
    };
    // `try_init` fails only if a subscriber is already set (tests): keep that one.
    let _ = tracing_subscriber::registry()
        .with(layer)
        .with(filter)
        .try_init();
}

/// One flat JSON object per event.
#[derive(Debug)]
struct JsonLines {
    component: &'static str,
    function_name: Option<String>,
    function_version: Option<String>,
}

/// Whether the process is still in its first invocation, the cold start.
static COLD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Marks an invocation answered: later log lines are a warm start's.
pub fn invocation_done() {
    COLD.store(false, std::sync::atomic::Ordering::Relaxed);
}

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut line: Map<String, Value> = [
            ("timestamp", Value::from(now)),
            ("level", Value::from(event.metadata().level().as_str())),
            ("component", Value::from(self.component)),
            ("functionName", Value::from(self.function_name.clone())),
            (
                "functionVersion",
                Value::from(self.function_version.clone()),
            ),
        ]
        .into_iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| (key.to_owned(), value))
        .collect();
        // Outermost span first, so inner spans and the event override.
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>() {
                    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(fields) {
                        line.extend(map);
                    }
                }
            }
        }
        let mut visitor = JsonVisitor(&mut line);
        event.record(&mut visitor);
        // Inside an invocation (lambda_runtime's span has `requestId`): was it the cold start?
        if self.function_name.is_some() && line.contains_key("requestId") {
            let cold = COLD.load(std::sync::atomic::Ordering::Relaxed);
            line.insert("coldStart".into(), Value::Bool(cold));
        }
        if !line.contains_key("message") {
            line.insert("message".into(), Value::String(String::new()));
        }
        let text = serde_json::to_string(&line).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

struct JsonVisitor<'a>(&'a mut Map<String, Value>);

impl Visit for JsonVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name().to_owned(), Value::String(value.to_owned()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .insert(field.name().to_owned(), Value::String(error_chain(value)));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().to_owned(), Value::String(format!("{value:?}")));
    }
}

/// Logs why `component` stops, with the cause chain; the exit code to stop with.
pub fn fatal(component: &str, error: &(dyn std::error::Error + 'static)) -> std::process::ExitCode {
    tracing::error!(error = %error_chain(error), "{component} stopped");
    std::process::ExitCode::FAILURE
}
