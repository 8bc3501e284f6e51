//! `pasar`: the command-line front end. Parsing and error reporting only;
//! the work is done by the library.

mod cli;

use clap::Parser;
use std::io::Write;

/// Huge pages for the large agent arrays (see `pasar::hugepages`).
#[global_allocator]
static ALLOC: pasar::hugepages::HugePageAlloc = pasar::hugepages::HugePageAlloc;

fn main() {
    let cli = cli::Cli::parse();
    if let Err(failure) = cli::main_with(cli) {
        if let Some(message) = failure.message() {
            // A closed stderr loses the message; the exit code still says.
            let _ = writeln!(std::io::stderr(), "error: {message}");
        }
        std::process::exit(failure.exit_code());
    }
}
