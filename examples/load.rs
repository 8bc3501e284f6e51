fn main() {
    let args: Vec<String> = std::env::args().collect();
    match pasar::scenario::Scenario::load(std::path::Path::new(&args[1]), &args[2..]) {
        Ok(s) => println!("{}", s.to_toml()),
        Err(e) => println!("{e}"),
    }
}
