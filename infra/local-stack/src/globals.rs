//! SAM's `Globals.Function`: what every `AWS::Serverless::Function` shares.
//! A function's own properties win; mappings (such as `Environment.Variables`)
//! are merged key by key, as the SAM transform does.

use serde_yaml_ng::Value as Yaml;

/// A function's properties `own` with `Globals.Function` (`global`) merged in.
pub(crate) fn merged(global: &Yaml, own: &Yaml) -> Yaml {
    let (Yaml::Mapping(global), Yaml::Mapping(own)) = (global, own) else {
        return own.clone();
    };
    let mut out = global.clone();
    for (key, value) in own {
        let inherited = global.get(key).unwrap_or(&Yaml::Null);
        out.insert(key.clone(), merged(inherited, value));
    }
    Yaml::Mapping(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_inherits_the_globals_and_its_own_settings_win() {
        let doc: Yaml = serde_yaml_ng::from_str(
            "Globals:\n  Function:\n    MemorySize: 128\n    Environment:\n      Variables:\n        ENVIRONMENT: dev\n        RUST_LOG: info\n",
        )
        .expect("YAML");
        let own: Yaml = serde_yaml_ng::from_str(
            "MemorySize: 512\nEnvironment:\n  Variables:\n    RUST_LOG: debug\n    ORDERS_TABLE: t\n",
        )
        .expect("YAML");

        let props = merged(&doc["Globals"]["Function"], &own);

        assert_eq!(props["MemorySize"].as_u64(), Some(512));
        let variables = &props["Environment"]["Variables"];
        assert_eq!(variables["ENVIRONMENT"].as_str(), Some("dev"));
        assert_eq!(variables["RUST_LOG"].as_str(), Some("debug"));
        assert_eq!(variables["ORDERS_TABLE"].as_str(), Some("t"));
    }
}
