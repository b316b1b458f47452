//! `vnest`: virtual Kubernetes clusters in one binary. This is the CLI edge: argument
//! parsing, logging setup and exit codes; the work lives in the library crates.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "vnest", version, about = "Virtual Kubernetes clusters in one small binary")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the vnest version.
    Version {
        /// Output format.
        #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
        output: OutputFormat,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum OutputFormat {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Version { output } => {
            let version = env!("CARGO_PKG_VERSION");
            match output {
                OutputFormat::Text => println!("vnest {version}"),
                OutputFormat::Json => println!("{{\"version\":\"{version}\"}}"),
            }
            ExitCode::SUCCESS
        }
    }
}
