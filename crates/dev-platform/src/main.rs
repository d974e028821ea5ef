//! `dev-platform`: run the mock LMS and the demo origin, or print the KV bulk file.

use std::process::ExitCode;

use dev_platform::{kv_bulk_json_for_port, DemoOrigin, DevPlatform};

const USAGE: &str = "usage: dev-platform [--port 9001] [--origin-port 9002] \
[--tool http://127.0.0.1:8787] [--registration-secret SECRET] [--print-kv-bulk]\n\
(--registration-secret defaults to $REGISTRATION_SECRET: the worker's secret, for the \
\"Register the tool\" button)";

struct Options {
    port: u16,
    origin_port: u16,
    tool: String,
    print_kv_bulk: bool,
    /// The worker's `REGISTRATION_SECRET`: the dev platform only builds the URL with it.
    registration_secret: Option<String>,
}

fn parse(
    args: impl Iterator<Item = String>,
    registration_secret: Option<String>,
) -> Result<Options, String> {
    let mut options = Options {
        port: 9001,
        origin_port: 9002,
        tool: "http://127.0.0.1:8787".into(),
        print_kv_bulk: false,
        registration_secret: registration_secret.filter(|secret| !secret.is_empty()),
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--port" => options.port = port(&value()?)?,
            "--origin-port" => options.origin_port = port(&value()?)?,
            "--tool" => options.tool = value()?,
            "--registration-secret" => options.registration_secret = Some(value()?),
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
    platform.set_registration_secret(options.registration_secret.as_deref());
    let origin = DemoOrigin::start(options.origin_port, &options.tool)?;
    println!("dev platform: {}/", platform.base_url());
    for profile in platform.profiles() {
        println!("  issuer {profile:<12}{}", platform.issuer(profile));
    }
    println!("demo origin:  {}/", origin.base_url());
    println!("tool:         {}", options.tool);
    // Servers run on their own threads; keep them (and this process) alive.
    loop {
        std::thread::park();
    }
}

fn main() -> ExitCode {
    let secret = std::env::var("REGISTRATION_SECRET").ok();
    let options = match parse(std::env::args().skip(1), secret) {
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

#[cfg(test)]
mod tests {
    use super::parse;

    fn args(list: &[&str]) -> impl Iterator<Item = String> {
        list.iter()
            .map(|arg| arg.to_string())
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn registration_secret_comes_from_the_flag_or_the_environment() {
        let from_env = parse(args(&["--port", "9001"]), Some("env-secret".into())).unwrap();
        assert_eq!(from_env.registration_secret.as_deref(), Some("env-secret"));
        let flag = ["--registration-secret", "dev-registration-secret"];
        let from_flag = parse(args(&flag), Some("env-secret".into())).unwrap();
        assert_eq!(
            from_flag.registration_secret.as_deref(),
            Some("dev-registration-secret")
        );
        assert_eq!(
            parse(args(&[]), Some(String::new()))
                .unwrap()
                .registration_secret,
            None
        );
        assert!(parse(args(&["--registration-secret"]), None).is_err());
        let old = parse(
            args(&[
                "--print-kv-bulk",
                "--tool",
                "http://x",
                "--origin-port",
                "1",
            ]),
            None,
        );
        assert!(old.unwrap().print_kv_bulk);
    }
}
