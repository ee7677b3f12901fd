use clap::Parser;

fn main() {
    let cli = sdlab::cli::Cli::parse();
    std::process::exit(sdlab::cli::run(cli));
}
