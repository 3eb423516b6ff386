//! Offline tools: `generate`, `train`, `evaluate`. They read and write
//! JSON-lines files; the service never calls them.

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::config::agent_knowledge;
use crate::config::Settings;
use crate::engine::Engine;
use crate::model::benchmark::{self, RealAgents};
use crate::model::eval::evaluate;
use crate::model::train::{train, TrainOptions};
use crate::model::Model;
use crate::model::Thresholds;
use crate::sim::{generate, Labelled, SimOptions, DEFAULT_HELD_OUT, FAMILIES};

/// Offline subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Write labelled simulated traffic as JSON lines.
    Generate(GenerateArgs),
    /// Train a model file from labelled JSON lines.
    Train(TrainArgs),
    /// Print precision/recall/F1/ROC AUC and confusion matrices on labelled JSON lines, and the held-out real-agent benchmark.
    Evaluate(EvaluateArgs),
}

/// `generate` options.
#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// RNG seed (use different seeds for training and evaluation).
    #[arg(long, default_value = "7")]
    pub seed: u64,
    /// Human sessions.
    #[arg(long, default_value = "600")]
    pub humans: usize,
    /// Sessions per bot family.
    #[arg(long, default_value = "40")]
    pub bots_per_family: usize,
    /// Output file.
    #[arg(long)]
    pub out: PathBuf,
}

/// `train` options.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// Labelled traffic (JSON lines, time-ordered).
    #[arg(long)]
    pub input: PathBuf,
    /// Model file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Held-out labelled traffic (another seed) whose figures are stored in the model.
    #[arg(long)]
    pub eval: Option<PathBuf>,
    /// Families kept out of training, comma-separated ("" for none).
    #[arg(long, default_value_t = DEFAULT_HELD_OUT.join(","))]
    pub held_out: String,
    /// k-means clusters.
    #[arg(long, default_value = "8")]
    pub clusters: usize,
    /// Model version written into the file.
    #[arg(long, default_value = "1.0.0")]
    pub version: String,
    /// With --eval, also run the real-agent benchmark and store its figures in the model.
    #[arg(long)]
    pub real_agents: bool,
}

/// `evaluate` options.
#[derive(Debug, Clone, Args)]
pub struct EvaluateArgs {
    /// Labelled simulated traffic (JSON lines, time-ordered); without it only the real-agent benchmark runs.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Model file (the built-in model when unset).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Skip the real-agent benchmark (a few seconds of scoring) and report the simulated traffic only.
    #[arg(long)]
    pub no_real_agents: bool,
}

/// Thresholds from the settings (env / flags), for offline evaluation.
pub fn thresholds_of(s: &Settings) -> Thresholds {
    Thresholds {
        anomaly: s.anomaly_threshold,
        anomaly_critical: s.anomaly_critical_threshold,
        rate_per_minute: s.anomaly_rate_threshold,
        rate_multiplier: s.anomaly_rate_multiplier,
        bot: s.bot_threshold,
        bot_block: s.bot_block_threshold,
    }
}

/// Reads labelled JSON lines; errors name the line.
pub fn read_labelled(path: &Path) -> anyhow::Result<Vec<Labelled>> {
    let f = std::fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let l: Labelled = serde_json::from_str(&line)
            .map_err(|e| anyhow::anyhow!("{}:{}: {e}", path.display(), i + 1))?;
        let errs = l.features.validate("features.");
        if let Some(e) = errs.first() {
            anyhow::bail!("{}:{}: {}: {}", path.display(), i + 1, e.field, e.message);
        }
        out.push(l);
    }
    Ok(out)
}

fn load_model(path: Option<&Path>) -> anyhow::Result<Model> {
    match path {
        Some(p) => {
            let bytes = std::fs::read(p)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?;
            Model::from_json(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
        }
        None => Engine::default_model().map_err(|e| anyhow::anyhow!("built-in model: {e}")),
    }
}

fn real_agents() -> anyhow::Result<RealAgents> {
    RealAgents::built_in().map_err(|e| anyhow::anyhow!("real-agent benchmark: {e}"))
}

/// Runs a subcommand.
pub fn run(cmd: Command, settings: &Settings) -> anyhow::Result<()> {
    match cmd {
        Command::Generate(a) => {
            let data = generate(&SimOptions::new(a.seed, a.humans, a.bots_per_family));
            let f = std::fs::File::create(&a.out)?;
            let mut w = BufWriter::new(f);
            for l in &data {
                serde_json::to_writer(&mut w, l)?;
                w.write_all(b"\n")?;
            }
            w.flush()?;
            let bots = data.iter().filter(|l| l.bot).count();
            eprintln!(
                "wrote {} requests ({} bot, {} human) to {}",
                data.len(),
                bots,
                data.len() - bots,
                a.out.display()
            );
            Ok(())
        }
        Command::Train(a) => {
            let data = read_labelled(&a.input)?;
            let held_out: Vec<String> = a
                .held_out
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            if let Some(bad) = held_out
                .iter()
                .find(|h| !FAMILIES[1..].contains(&h.as_str()))
            {
                anyhow::bail!("--held-out: unknown family {bad:?}");
            }
            let opts = TrainOptions {
                clusters: a.clusters.clamp(1, 64),
                held_out: held_out.clone(),
                version: a.version.clone(),
                trained_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                ..TrainOptions::default()
            };
            let file = train(&data, &opts).map_err(|e| anyhow::anyhow!(e))?;
            let mut model = Model::from_file(file)?;
            if let Some(eval_path) = &a.eval {
                let eval_data = read_labelled(eval_path)?;
                let agents = agent_knowledge(settings.agent_lists.as_deref())?;
                let t = thresholds_of(settings);
                let report = evaluate(&model, &agents, &eval_data, &t, &held_out);
                eprint!("{}", report.render());
                let mut metrics = serde_json::to_value(&report)?;
                if a.real_agents {
                    let real = benchmark::run(&model, &agents, &t, &real_agents()?);
                    eprint!("{}", real.render());
                    metrics["real_agents"] = serde_json::to_value(&real)?;
                }
                let mut file = model.file().clone();
                file.metrics = metrics;
                model = Model::from_file(file)?;
            }
            std::fs::write(&a.out, model.to_json())?;
            eprintln!("wrote model {} to {}", a.version, a.out.display());
            Ok(())
        }
        Command::Evaluate(a) => {
            let model = load_model(a.model.as_deref())?;
            let agents = agent_knowledge(settings.agent_lists.as_deref())?;
            let t = thresholds_of(settings);
            let simulated = match &a.input {
                Some(input) => {
                    let data = read_labelled(input)?;
                    let held = model.file().training.held_out_families.clone();
                    Some(evaluate(&model, &agents, &data, &t, &held))
                }
                None => None,
            };
            let real = if a.no_real_agents {
                None
            } else {
                Some(benchmark::run(&model, &agents, &t, &real_agents()?))
            };
            if a.json {
                let v = serde_json::json!({ "simulated": simulated, "real_agents": real });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!(
                    "model {} (trained {})",
                    model.file().version,
                    model.file().trained_at
                );
                if let Some(r) = &simulated {
                    println!("simulated traffic (labelled, {}):", r.requests);
                    print!("{}", r.render());
                }
                if let Some(r) = &real {
                    print!("{}", r.render());
                }
            }
            Ok(())
        }
    }
}
