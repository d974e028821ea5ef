//! `dev-platform`: run the mock LMS and the demo origin, or print the KV bulk file.

use std::process::ExitCode;

use dev_platform::{kv_bulk_json_for_port, DemoOrigin, DevPlatform};

const USAGE: &str = "usage: dev-platform [--port 9001] [--origin-port 9002] \
[--tool http://127.0.0.1:8787] [--print-kv-bulk]";

struct Options {
    port: u16,
    origin_port: u16,
    tool: String,
    print_kv_bulk: bool,
}

fn parse(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        port: 9001,
        origin_port: 9002,
        tool: "http://127.0.0.1:8787".into(),
        print_kv_bulk: false,
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--port" => options.port = port(&value()?)?,
            "--origin-port" => options.origin_port = port(&value()?)?,
            "--tool" => options.tool = value()?,
            "--print-kv-bulk" => options.print_kv_bulk = true,
            _ => return Err(format!("unknown argument {arg}")),
        }
    }
    Ok(options)
}

fn port(text: &str) -> Result<u16, String> {
    text.parse().map_err(|_| format!("not a port: {text}"))
}

fn run(options: &Options) -> std::io::Result<()> {
    let platform = DevPlatform::start(options.port, &options.tool)?;
    let origin = DemoOrigin::start(options.origin_port, &options.tool)?;
    println!("dev platform: {}/", platform.base_url());
    println!("  issuer a:   {}", platform.issuer("a"));
    println!("  issuer b:   {}", platform.issuer("b"));
    println!("demo origin:  {}/", origin.base_url());
    println!("tool:         {}", options.tool);
    // Servers run on their own threads; keep them (and this process) alive.
    loop {
        std::thread::park();
    }
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if options.print_kv_bulk {
        println!("{}", kv_bulk_json_for_port(options.port));
        return ExitCode::SUCCESS;
    }
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("dev-platform: {error}");
            ExitCode::FAILURE
        }
    }
}
