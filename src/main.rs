use std::process::ExitCode;

fn main() -> ExitCode {
    keyadm::run(std::env::args_os())
}
