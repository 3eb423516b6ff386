//! Structured JSON logs on stdout.
//!
//! One line per event with the keys the spec names: `ts`, `level`, `msg`,
//! `target`, `service`, then the fields of every enclosing span (so a request
//! span's `request_id`, `method` and `path` appear on each line logged while
//! handling it) and the event's own fields.

use std::fmt;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

use crate::config::LogLevel;

/// `tokio::task::spawn_blocking` that keeps the caller's span: a closure
/// on the blocking pool otherwise runs outside every span, so its log
/// lines lose the `request_id` and handler fields (argon2 hashing, batch
/// scoring, the knowledge base build).
pub fn spawn_blocking_in_span<F, R>(f: F) -> tokio::task::JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
}

/// Installs the global JSON subscriber at `level` for `service`.
///
/// `RUST_LOG`-style directives are not read: the service's `*_LOG_LEVEL`
/// variable is the one knob, and noisy dependencies are capped at `warn`.
/// Calling it twice is harmless (the second call is ignored).
pub fn init(service: &'static str, level: LogLevel) {
    let filter = EnvFilter::new(filter_directives(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .fmt_fields(JsonFields::new())
        .event_format(JsonLines { service })
        .with_writer(std::io::stdout)
        .try_init();
}

fn filter_directives(level: LogLevel) -> String {
    let lvl = level.as_str();
    // Dependencies log at warn unless the operator asks for trace.
    let deps = if level == LogLevel::Trace {
        "debug"
    } else {
        "warn"
    };
    // rustls warns once per connection about what a client sent (an IP
    // address as SNI, a duplicate extension): any client could flood the
    // log, so only its errors are logged; services count such handshakes.
    let rustls = if level == LogLevel::Trace {
        "debug"
    } else {
        "error"
    };
    format!(
        "{lvl},hyper={deps},hyper_util={deps},h2={deps},tower={deps},sqlx={deps},tonic={deps},etcd_client={deps},reqwest={deps},rustls={rustls}"
    )
}

/// The event formatter: a flat JSON object per line.
#[derive(Debug, Clone, Copy)]
pub struct JsonLines {
    /// Value of the `service` key.
    pub service: &'static str,
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
        let meta = event.metadata();
        let mut map = Map::new();
        map.insert(
            "ts".into(),
            Value::String(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        );
        map.insert(
            "level".into(),
            Value::String(meta.level().as_str().to_ascii_lowercase()),
        );
        map.insert("msg".into(), Value::String(String::new()));
        map.insert("target".into(), Value::String(meta.target().to_owned()));
        map.insert("service".into(), Value::String(self.service.to_owned()));

        // Span fields, outermost first, so inner spans override.
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let ext = span.extensions();
                if let Some(fields) = ext.get::<FormattedFields<N>>() {
                    if let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(fields.as_str()) {
                        map.extend(obj);
                    }
                }
            }
        }

        let mut visitor = FieldVisitor(&mut map);
        event.record(&mut visitor);

        let line = serde_json::to_string(&map).map_err(|_| fmt::Error)?;
        writeln!(writer, "{line}")
    }
}

struct FieldVisitor<'a>(&'a mut Map<String, Value>);

impl FieldVisitor<'_> {
    fn put(&mut self, field: &Field, value: Value) {
        let key = match field.name() {
            "message" => "msg",
            other => other,
        };
        self.0.insert(key.to_owned(), value);
    }
}

impl Visit for FieldVisitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        let v = serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number);
        self.put(field, v);
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        // The whole cause chain on one line.
        let mut text = value.to_string();
        let mut src = value.source();
        while let Some(s) = src {
            text.push_str(": ");
            text.push_str(&s.to_string());
            src = s.source();
        }
        self.put(field, Value::from(text));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Value::from(format!("{value:?}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl<'a> MakeWriter<'a> for Buf {
        type Writer = Buf;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    #[test]
    fn lines_are_json_with_span_fields_and_no_secret() {
        let buf = Buf::default();
        let sub = tracing_subscriber::fmt()
            .fmt_fields(JsonFields::new())
            .event_format(JsonLines { service: "unit" })
            .with_writer(buf.clone())
            .finish();
        tracing::subscriber::with_default(sub, || {
            let span = tracing::info_span!("request", request_id = "req_1", method = "GET");
            let _g = span.enter();
            let secret = crate::config::Secret::new("s3cr3t-value");
            tracing::info!(status = 200u16, ?secret, "request completed");
        });
        let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let v: Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["msg"], "request completed");
        assert_eq!(v["level"], "info");
        assert_eq!(v["service"], "unit");
        assert_eq!(v["request_id"], "req_1");
        assert_eq!(v["method"], "GET");
        assert_eq!(v["status"], 200);
        assert!(v["ts"].as_str().unwrap().ends_with('Z'));
        assert!(!out.contains("s3cr3t-value"));
    }
}
