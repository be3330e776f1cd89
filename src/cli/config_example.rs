//! `strata.example.toml`, generated from the flags' definitions of `strata serve`: the file
//! cannot fall behind them, because `example_config_is_current` fails when it does.
use clap::{Arg, ArgAction, Command};

use super::config_file::CONFIG_FLAG;

/// `strata.example.toml`: every `strata serve` setting with its help and its default, in the
/// order of `strata serve --help`.
pub fn example(serve: &Command) -> String {
    let mut out = String::from(EXAMPLE_HEADER);
    let settings = serve.get_arguments().filter(|arg| {
        let long = arg.get_long().unwrap_or_default();
        !arg.is_hide_set() && !long.is_empty() && long != CONFIG_FLAG && long != "help"
    });
    for arg in settings {
        out.push('\n');
        let help = arg.get_long_help().or(arg.get_help()).map(|h| h.to_string()).unwrap_or_default();
        for line in help.lines().flat_map(|line| wrap(line, 96)) {
            out.push_str(format!("# {line}").trim_end());
            out.push('\n');
        }
        let env = arg.get_env().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default();
        let long = arg.get_long().unwrap_or_default();
        out.push_str(&format!("# (flag --{long}, environment {env})\n"));
        out.push_str(&example_line(arg, &long.replace('-', "_")));
    }
    out
}

/// The setting at its default, commented out: the file sets nothing until a line is edited.
fn example_line(arg: &Arg, key: &str) -> String {
    if matches!(arg.get_action(), ArgAction::SetTrue) {
        return format!("# {key} = false\n");
    }
    match arg.get_default_values() {
        [] => format!("# {key} = (no default; see above)\n"),
        values => {
            let text: Vec<_> = values.iter().map(|v| v.to_string_lossy().into_owned()).collect();
            let text = text.join(",");
            match text.parse::<i64>() {
                Ok(number) => format!("# {key} = {number}\n"),
                // Defaults are plain ASCII, which a Rust debug string writes as TOML does.
                Err(_) => format!("# {key} = {text:?}\n"),
            }
        }
    }
}

/// `line` in pieces of at most `width` characters, broken at spaces.
fn wrap(line: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in line.split_whitespace() {
        let current = lines.last_mut().expect("lines starts with one");
        if !current.is_empty() && current.len() + 1 + word.len() > width {
            lines.push(word.to_string());
        } else {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
    }
    lines
}

const EXAMPLE_HEADER: &str = "\
# strata.example.toml: every setting of `strata serve`, with its default.
#
# Use it with `strata serve --config FILE`. A flag on the command line wins over its STRATA_*
# environment variable, which wins over this file, which wins over the built-in default.
# Keys are the flag names; `max_wal_size` and `max-wal-size` are the same setting. Sizes take
# units (64KiB, 1GiB), durations too (250ms, 30s, 7d). Every line below is commented out and
# shows the default: uncomment and edit the ones to change.
#
# Generated from the flags' definitions (src/cli/serve.rs): a test fails when it falls behind,
# and `STRATA_UPDATE_EXAMPLE=1 cargo test --release --lib example_config` rewrites it.
";

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, FromArgMatches};

    use super::*;
    use crate::cli::Cli;
    use crate::cli::config_file::tests::{parse, serve_debug};

    fn serve_command() -> Command {
        Cli::command().find_subcommand("serve").expect("serve is a subcommand").clone()
    }

    #[test]
    fn the_example_files_defaults_are_the_defaults() {
        let uncommented: String = example(&serve_command())
            .lines()
            .filter_map(|line| line.strip_prefix("# "))
            .filter(|line| {
                let key = line.split(" = ").next().unwrap_or_default();
                line.contains(" = ") && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            })
            .filter(|line| !line.contains("(no default"))
            .map(|line| format!("{line}\n"))
            .collect();
        assert!(uncommented.contains("fsync = \"always\""), "{uncommented}");
        let with_file = parse(&["strata", "serve"], &uncommented).unwrap();
        let without = Cli::from_arg_matches(&Cli::command().get_matches_from(["strata", "serve"])).unwrap();
        let strip = |cli: &Cli| serve_debug(cli).split("config:").next().unwrap_or_default().to_string();
        assert_eq!(strip(&with_file), strip(&without));
    }

    #[test]
    fn wrap_breaks_at_spaces_within_the_width() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("toolongword x", 4), ["toolongword", "x"]);
    }

    #[test]
    fn example_config_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/strata.example.toml");
        let expected = example(&serve_command());
        if std::env::var_os("STRATA_UPDATE_EXAMPLE").is_some() {
            std::fs::write(path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            actual == expected,
            "strata.example.toml is out of date with the flags of `strata serve`; run \
             STRATA_UPDATE_EXAMPLE=1 cargo test --release --lib example_config"
        );
    }
}
