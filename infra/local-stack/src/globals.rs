//! SAM's `Globals`: what every `AWS::Serverless::Function` shares. A
//! function's own properties win; mappings (such as
//! `Environment.Variables`) are merged key by key, as the SAM transform does.

use serde_yaml_ng::{Mapping, Value as Yaml};

/// `props` of a serverless function with `Globals.Function` merged in.
pub(crate) fn with_function_globals(doc: &Yaml, props: &Yaml) -> Yaml {
    match doc.get("Globals").and_then(|g| g.get("Function")) {
        Some(globals) => merged(globals, props),
        None => props.clone(),
    }
}

fn merged(global: &Yaml, own: &Yaml) -> Yaml {
    match (global, own) {
        (Yaml::Mapping(global), Yaml::Mapping(own)) => {
            let mut out: Mapping = global.clone();
            for (key, value) in own {
                let value = match global.get(key) {
                    Some(inherited) => merged(inherited, value),
                    None => value.clone(),
                };
                out.insert(key.clone(), value);
            }
            Yaml::Mapping(out)
        }
        (_, own) => own.clone(),
    }
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

        let props = with_function_globals(&doc, &own);

        assert_eq!(props["MemorySize"].as_u64(), Some(512));
        let variables = &props["Environment"]["Variables"];
        assert_eq!(variables["ENVIRONMENT"].as_str(), Some("dev"));
        assert_eq!(variables["RUST_LOG"].as_str(), Some("debug"));
        assert_eq!(variables["ORDERS_TABLE"].as_str(), Some("t"));
    }
}
