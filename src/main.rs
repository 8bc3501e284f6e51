//! `pasar`: the command-line front end. Parsing and error reporting only;
//! the work is done by the library.

mod cli;

use clap::Parser;

/// Huge pages for the large agent arrays (see `pasar::hugepages`).
#[global_allocator]
static ALLOC: pasar::hugepages::HugePageAlloc = pasar::hugepages::HugePageAlloc;

fn main() {
    let cli = cli::Cli::parse();
    if let Err(failure) = cli::main_with(cli) {
        eprintln!("error: {:#}", failure.error());
        std::process::exit(failure.exit_code());
    }
}
