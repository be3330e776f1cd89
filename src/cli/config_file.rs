//! `strata serve --config FILE`: a TOML file of `strata serve` settings, keyed by the flag names
//! (`max_wal_size = "2GiB"`; `-` and `_` both work). A flag on the command line wins over a
//! `STRATA_*` variable, which wins over the file, which wins over the built-in default.
//!
//! The file is turned into the flags it stands for and parsed by the same clap definitions as
//! the command line, so each setting's parser, check and default stay in one place (the
//! `#[arg]` of `ServeArgs`), and `strata.example.toml` is generated from them.
use std::ffi::OsString;
use std::path::Path;

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command};

/// The flag that names the file; it cannot be set from the file itself.
pub const CONFIG_FLAG: &str = "config";

/// Flags a config file adds to `argv`: one `--name=value` per setting that neither the command
/// line nor the environment set.
pub fn file_flags(path: &Path, serve: &Command, given: &ArgMatches) -> Result<Vec<OsString>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    let table: toml::Table =
        text.parse().map_err(|e| format!("config file {} is not valid TOML: {e}", path.display()))?;
    let mut flags = Vec::new();
    for (key, value) in &table {
        let arg = setting(serve, key).map_err(|e| format!("config file {}: {e}", path.display()))?;
        let id = arg.get_id().as_str();
        if matches!(given.value_source(id), Some(ValueSource::CommandLine | ValueSource::EnvVariable)) {
            continue;
        }
        let long = arg.get_long().unwrap_or(id);
        let flag = flag(arg, long, value).map_err(|e| format!("config file {}: `{key}`: {e}", path.display()))?;
        flags.extend(flag.map(OsString::from));
    }
    Ok(flags)
}

/// The `strata serve` argument a file key names.
fn setting<'a>(serve: &'a Command, key: &str) -> Result<&'a Arg, String> {
    let long = key.replace('_', "-");
    if long == CONFIG_FLAG {
        return Err("`config` cannot be set in a config file".into());
    }
    serve.get_arguments().find(|arg| arg.get_long() == Some(long.as_str())).ok_or_else(|| {
        format!("unknown setting `{key}` (settings are the flags of `strata serve --help`, e.g. fsync, retention)")
    })
}

/// The flag one setting stands for; `None` for a switch set to false (its default).
fn flag(arg: &Arg, long: &str, value: &toml::Value) -> Result<Option<String>, String> {
    if matches!(arg.get_action(), ArgAction::SetTrue) {
        return match value {
            toml::Value::Boolean(true) => Ok(Some(format!("--{long}"))),
            toml::Value::Boolean(false) => Ok(None),
            other => Err(format!("expected true or false, found a {}", other.type_str())),
        };
    }
    Ok(Some(format!("--{long}={}", scalar_or_list(value)?)))
}

/// A value as its command-line text: lists (e.g. `seeds`) comma-separated.
fn scalar_or_list(value: &toml::Value) -> Result<String, String> {
    match value {
        toml::Value::Array(items) => {
            let items: Result<Vec<_>, _> = items.iter().map(scalar).collect();
            Ok(items?.join(","))
        }
        other => scalar(other),
    }
}

fn scalar(value: &toml::Value) -> Result<String, String> {
    match value {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(f) => Ok(f.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        toml::Value::Datetime(_) | toml::Value::Array(_) | toml::Value::Table(_) => {
            Err(format!("expected a string, number or boolean, found a {}", value.type_str()))
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cli::Cli;

    pub(crate) fn parse(argv: &[&str], file: &str) -> Result<Cli, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = dir.path().join("strata.toml");
        std::fs::write(&path, file).map_err(|e| e.to_string())?;
        let mut argv: Vec<OsString> = argv.iter().map(OsString::from).collect();
        argv.extend([OsString::from("--config"), path.clone().into()]);
        crate::cli::with_config_file(argv).map_err(|e| e.to_string())
    }

    pub(crate) fn serve_debug(cli: &Cli) -> String {
        format!("{cli:?}")
    }

    #[test]
    fn a_file_sets_what_the_command_line_does_not() {
        let cli =
            parse(&["strata", "serve", "--fsync", "never"], "fsync = \"always\"\ndefault_partitions = 7\n").unwrap();
        let debug = serve_debug(&cli);
        assert!(debug.contains("fsync: Never"), "{debug}");
        assert!(debug.contains("default_partitions: 7"), "{debug}");
    }

    #[test]
    fn dashes_lists_and_switches_are_understood() {
        let file =
            "max-wal-size = \"2GiB\"\nseeds = [\"a:1\", \"b:2\"]\nauto_create_topics = true\ndirect_io = false\n";
        let debug = serve_debug(&parse(&["strata", "serve"], file).unwrap());
        assert!(debug.contains("max_wal_size: 2147483648"), "{debug}");
        assert!(debug.contains("seeds: [\"a:1\", \"b:2\"]"), "{debug}");
        assert!(debug.contains("auto_create_topics: true"), "{debug}");
        assert!(debug.contains("direct_io: false"), "{debug}");
    }

    #[test]
    fn bad_files_are_refused_with_what_to_fix() {
        let unknown = parse(&["strata", "serve"], "fsink = \"always\"\n").unwrap_err();
        assert!(unknown.contains("unknown setting `fsink`"), "{unknown}");
        let nested = parse(&["strata", "serve"], "config = \"other.toml\"\n").unwrap_err();
        assert!(nested.contains("cannot be set in a config file"), "{nested}");
        let switch = parse(&["strata", "serve"], "direct_io = \"yes\"\n").unwrap_err();
        assert!(switch.contains("`direct_io`: expected true or false"), "{switch}");
        let invalid = parse(&["strata", "serve"], "fsync = \"sometimes\"\n").unwrap_err();
        assert!(invalid.contains("config file") && invalid.contains("sometimes"), "{invalid}");
        let not_toml = parse(&["strata", "serve"], "fsync = \n").unwrap_err();
        assert!(not_toml.contains("is not valid TOML"), "{not_toml}");
    }
}
