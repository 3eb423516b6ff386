//! Configuration loading shared by every binary.
//!
//! Each service declares its settings once, as a `clap` struct whose
//! arguments carry `env = "…"` (so `--help` lists every variable). This
//! module adds the optional TOML file (`--config PATH`) with the precedence
//! the spec asks for: **command line > environment > file > default**. The
//! file's values are injected as clap defaults, so clap itself applies the
//! order. Errors are reduced to one line naming the variable; the process
//! exits with code 2.
//!
//! Only this module reads the process environment (through clap).

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{ArgMatches, Command, CommandFactory, FromArgMatches};

/// Exit code for a configuration error (the spec's "exit code 2").
pub const CONFIG_EXIT_CODE: i32 = 2;

/// A configuration problem attributed to one variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {reason}")]
pub struct ConfigError {
    /// Name of the environment variable (or file key) at fault.
    pub var: String,
    /// What is wrong with it, never including a secret's value.
    pub reason: String,
}

impl ConfigError {
    /// Builds an error for `var`.
    pub fn new(var: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            var: var.into(),
            reason: reason.into(),
        }
    }

    /// A required variable that is absent or empty.
    pub fn missing(var: impl Into<String>) -> Self {
        Self::new(var, "is required but not set")
    }
}

/// Prints `error: <VAR>: <reason>` on one line to stderr and exits with code 2.
pub fn exit_with(err: &ConfigError) -> ! {
    eprintln!("error: {err}");
    std::process::exit(CONFIG_EXIT_CODE)
}

/// A secret string (token signing key, password, API key).
///
/// `Debug` and `Display` print `[redacted]`, so a secret cannot reach a log
/// line through formatting. Use [`Secret::expose`] at the one place that needs
/// the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value. Call only where the value is used, never to log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// Log verbosity accepted by every `*_LOG_LEVEL` variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// Everything, down to per-step tracing.
    Trace,
    /// Debug and above.
    Debug,
    /// Info and above (default).
    Info,
    /// Warnings and errors.
    Warn,
    /// Errors only.
    Error,
}

impl LogLevel {
    /// The `tracing` filter directive for this level.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trace => "trace",
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }
}

impl FromStr for LogLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "trace" => Ok(Self::Trace),
            "debug" => Ok(Self::Debug),
            "info" => Ok(Self::Info),
            "warn" | "warning" => Ok(Self::Warn),
            "error" => Ok(Self::Error),
            other => Err(format!(
                "unknown log level '{other}' (expected trace, debug, info, warn or error)"
            )),
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Result of [`try_load_from`]: either settings, or a request to print
/// something (help, version) and exit successfully.
#[derive(Debug)]
pub enum Loaded<T> {
    /// Parsed settings.
    Config(T),
    /// `--help` or `--version`: print this text to stdout and exit 0.
    Print(String),
}

/// Parses the process arguments and environment into `T`, exiting on error.
///
/// `--help` prints and exits 0; a bad value prints one line and exits 2.
pub fn load<T: CommandFactory + FromArgMatches>() -> T {
    match try_load_from::<T, _, _>(std::env::args_os()) {
        Ok(Loaded::Config(c)) => c,
        Ok(Loaded::Print(text)) => {
            print!("{text}");
            std::process::exit(0)
        }
        Err(e) => exit_with(&e),
    }
}

/// Parses `args` (the environment is read by clap) plus the optional
/// `--config` file into `T`.
pub fn try_load_from<T, I, A>(args: I) -> Result<Loaded<T>, ConfigError>
where
    T: CommandFactory + FromArgMatches,
    I: IntoIterator<Item = A>,
    A: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let mut cmd = T::command();
    if let Some(path) = config_path_from_args(&args)? {
        let file = read_config_file(&path)?;
        cmd = apply_file_defaults(cmd, &file, &path)?;
    }
    let matches = match cmd.clone().try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) => {
            return match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    Ok(Loaded::Print(e.render().to_string()))
                }
                _ => Err(describe_clap_error(&cmd, &e)),
            }
        }
    };
    from_matches::<T>(&cmd, &matches).map(Loaded::Config)
}

fn from_matches<T: FromArgMatches>(cmd: &Command, m: &ArgMatches) -> Result<T, ConfigError> {
    T::from_arg_matches(m).map_err(|e| describe_clap_error(cmd, &e))
}

/// Finds `--config PATH` / `--config=PATH` before clap runs (the file must be
/// read first because its values become clap defaults).
fn config_path_from_args(args: &[OsString]) -> Result<Option<PathBuf>, ConfigError> {
    let mut iter = args.iter().skip(1);
    while let Some(arg) = iter.next() {
        let Some(s) = arg.to_str() else { continue };
        if s == "--" {
            break;
        }
        if s == "--config" {
            return match iter.next() {
                Some(p) => Ok(Some(PathBuf::from(p))),
                None => Err(ConfigError::new("--config", "expects a file path")),
            };
        }
        if let Some(p) = s.strip_prefix("--config=") {
            return Ok(Some(PathBuf::from(p)));
        }
    }
    Ok(None)
}

/// Reads a flat TOML table whose keys are the variable names (any case).
fn read_config_file(path: &Path) -> Result<Vec<(String, String)>, ConfigError> {
    let var = format!("--config {}", path.display());
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new(var.clone(), format!("cannot read file: {e}")))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        ConfigError::new(var.clone(), format!("invalid TOML: {}", e.message()))
    })?;
    let mut out = Vec::with_capacity(table.len());
    for (key, value) in table {
        let rendered = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Array(items) => {
                let mut parts = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        toml::Value::String(s) => parts.push(s),
                        other => parts.push(other.to_string()),
                    }
                }
                parts.join(",")
            }
            _ => {
                return Err(ConfigError::new(
                    key.to_ascii_uppercase(),
                    "in config file: tables and dates are not supported, use a string",
                ))
            }
        };
        out.push((key.to_ascii_uppercase(), rendered));
    }
    Ok(out)
}

/// Sets each file value as the default of the argument that reads the same
/// environment variable. Unknown keys are an error: a typo must not be
/// silently ignored.
fn apply_file_defaults(
    mut cmd: Command,
    file: &[(String, String)],
    path: &Path,
) -> Result<Command, ConfigError> {
    for (key, value) in file {
        let id = cmd
            .get_arguments()
            .find(|a| {
                a.get_env()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| e.eq_ignore_ascii_case(key))
            })
            .map(|a| a.get_id().clone());
        match id {
            Some(id) => {
                let value = value.clone();
                cmd = cmd.mut_arg(id, move |a| a.default_value(value).required(false));
            }
            None => {
                return Err(ConfigError::new(
                    key.clone(),
                    format!("unknown setting in config file {}", path.display()),
                ))
            }
        }
    }
    Ok(cmd)
}

/// Turns a clap error into one line naming the environment variable.
fn describe_clap_error(cmd: &Command, e: &clap::Error) -> ConfigError {
    let arg_display = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => v.first().cloned(),
        _ => None,
    };
    let var = arg_display
        .as_deref()
        .and_then(|display| env_name_for(cmd, display))
        .or(arg_display.clone())
        .unwrap_or_else(|| "arguments".to_owned());
    let reason = match e.kind() {
        ErrorKind::MissingRequiredArgument => "is required but not set".to_owned(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let value = match e.get(ContextKind::InvalidValue) {
                Some(ContextValue::String(v)) => Some(v.clone()),
                _ => None,
            };
            let why = e
                .source_message()
                .unwrap_or_else(|| "not an accepted value".to_owned());
            match value {
                // Values of secret arguments are never echoed.
                Some(v) if !is_secret(cmd, arg_display.as_deref()) => {
                    format!("invalid value '{v}': {why}")
                }
                _ => format!("invalid value: {why}"),
            }
        }
        _ => first_line(&e.render().to_string()),
    };
    ConfigError::new(var, reason)
}

trait SourceMessage {
    fn source_message(&self) -> Option<String>;
}

impl SourceMessage for clap::Error {
    fn source_message(&self) -> Option<String> {
        std::error::Error::source(self).map(|s| s.to_string())
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("invalid arguments")
        .trim()
        .trim_start_matches("error: ")
        .to_owned()
}

fn find_arg<'a>(cmd: &'a Command, display: &str) -> Option<&'a clap::Arg> {
    // clap renders an argument as `--long <VALUE>`; match the long flag.
    let flag = display.split_whitespace().next()?.trim_start_matches('-');
    cmd.get_arguments()
        .find(|a| a.get_long() == Some(flag) || a.get_id().as_str() == flag)
}

fn env_name_for(cmd: &Command, display: &str) -> Option<String> {
    find_arg(cmd, display)
        .and_then(|a| a.get_env())
        .and_then(|e| e.to_str())
        .map(str::to_owned)
}

fn is_secret(cmd: &Command, display: Option<&str>) -> bool {
    display
        .and_then(|d| find_arg(cmd, d))
        .is_some_and(|a| a.is_hide_env_values_set())
}

/// Returns the value or a "required" error naming `var`.
pub fn require<T>(var: &str, value: Option<T>) -> Result<T, ConfigError> {
    value.ok_or_else(|| ConfigError::missing(var))
}

/// Checks a secret is present and at least `min_len` bytes long.
pub fn require_secret(
    var: &str,
    value: Option<Secret>,
    min_len: usize,
) -> Result<Secret, ConfigError> {
    let s = value
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ConfigError::missing(var))?;
    if s.len() < min_len {
        return Err(ConfigError::new(
            var,
            format!("must be at least {min_len} bytes long (got {})", s.len()),
        ));
    }
    Ok(s)
}

/// Parses a TCP port, refusing 0 for listeners.
pub fn parse_port(s: &str) -> Result<u16, String> {
    match s.trim().parse::<u16>() {
        Ok(0) => Err("port 0 is not allowed, expected 1-65535".to_owned()),
        Ok(p) => Ok(p),
        Err(_) => Err("expected a port number 1-65535".to_owned()),
    }
}

/// Parses a comma-separated list, dropping empty items.
pub fn parse_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parses an `http://` or `https://` base URL, removing a trailing slash.
pub fn parse_base_url(s: &str) -> Result<String, String> {
    let s = s.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(s).map_err(|e| format!("not a URL: {e}"))?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(format!(
                "unsupported scheme '{other}', expected http or https"
            ))
        }
    }
    if url.host_str().is_none() {
        return Err("URL has no host".to_owned());
    }
    Ok(s.to_owned())
}

/// Parses a positive integer within `[min, max]`.
pub fn parse_in_range<T>(s: &str, min: T, max: T) -> Result<T, String>
where
    T: FromStr + PartialOrd + fmt::Display + Copy,
{
    let v: T = s
        .trim()
        .parse()
        .map_err(|_| format!("expected a number between {min} and {max}"))?;
    // Written so that NaN (which compares false to everything) is refused.
    if !(v >= min && v <= max) {
        return Err(format!("must be between {min} and {max}"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Demo {
        #[arg(long, env = "DEMO_UNIT_PORT", default_value = "8080", value_parser = parse_port)]
        port: u16,
        #[arg(long, env = "DEMO_UNIT_NAME", default_value = "x")]
        name: String,
        #[arg(long, env = "DEMO_UNIT_SECRET", hide_env_values = true)]
        secret: Option<Secret>,
        #[arg(long)]
        config: Option<PathBuf>,
    }

    fn load_demo(args: &[&str]) -> Result<Demo, ConfigError> {
        match try_load_from::<Demo, _, _>(args.iter().copied())? {
            Loaded::Config(d) => Ok(d),
            Loaded::Print(_) => panic!("unexpected help"),
        }
    }

    #[test]
    fn default_applies_without_file_or_flag() {
        let d = load_demo(&["demo"]).unwrap();
        assert_eq!(d.port, 8080);
    }

    #[test]
    fn file_beats_default_and_flag_beats_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "DEMO_UNIT_PORT = 9000\ndemo_unit_name = \"from-file\"\n",
        )
        .unwrap();
        let p = path.to_str().unwrap();
        let d = load_demo(&["demo", "--config", p]).unwrap();
        assert_eq!((d.port, d.name.as_str()), (9000, "from-file"));
        let d = load_demo(&["demo", "--config", p, "--port", "9001"]).unwrap();
        assert_eq!(d.port, 9001);
    }

    #[test]
    fn unknown_file_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "DEMO_UNIT_PROT = 1\n").unwrap();
        let err = load_demo(&["demo", "--config", path.to_str().unwrap()]).unwrap_err();
        assert_eq!(err.var, "DEMO_UNIT_PROT");
    }

    #[test]
    fn bad_value_names_the_variable_in_one_line() {
        let err = load_demo(&["demo", "--port", "eighty"]).unwrap_err();
        assert_eq!(err.var, "DEMO_UNIT_PORT");
        assert!(err.reason.contains("eighty"), "{}", err.reason);
        assert!(!err.to_string().contains('\n'));
        let err = load_demo(&["demo", "--port", "0"]).unwrap_err();
        assert_eq!(err.var, "DEMO_UNIT_PORT");
    }

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("hunter2-hunter2");
        assert_eq!(format!("{s:?} {s}"), "[redacted] [redacted]");
        let d = load_demo(&["demo", "--secret", "topsecretvalue"]).unwrap();
        assert!(!format!("{d:?}").contains("topsecretvalue"));
    }

    #[test]
    fn short_secret_is_refused() {
        let err = require_secret("X_SECRET", Some(Secret::new("short")), 32).unwrap_err();
        assert_eq!(err.var, "X_SECRET");
        assert!(require_secret("X_SECRET", None, 32).is_err());
        assert!(require_secret("X_SECRET", Some(Secret::new("a".repeat(32))), 32).is_ok());
    }

    #[test]
    fn base_url_and_lists() {
        assert_eq!(parse_base_url("http://a:1/").unwrap(), "http://a:1");
        assert!(parse_base_url("ftp://a").is_err());
        assert!(parse_base_url("nope").is_err());
        assert_eq!(parse_list(" a, ,b "), vec!["a", "b"]);
        assert!(parse_in_range("5", 1u32, 4).is_err());
        assert!(parse_in_range("NaN", 0.0_f64, 1.0).is_err());
        assert!(parse_in_range("inf", 0.0_f64, 1.0).is_err());
        assert_eq!(parse_in_range("3", 1u32, 4).unwrap(), 3);
    }
}
