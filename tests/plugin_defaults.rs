//! The plugin gives the engine its settings (php-bridge/src/Settings.php) and describes them to
//! people ("retried 7 more times over about 27 hours"); the engine has defaults of its own for
//! other callers. Both say the same, or this fails.

use multisite_webhooks::settings::Settings;

fn plugin_settings() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/php-bridge/src/Settings.php")).unwrap()
}

/// The integers of the PHP array literal after `const NAME = [`.
fn php_int_array(source: &str, name: &str) -> Vec<u64> {
    let start = source.find(&format!("const {name} = [")).unwrap_or_else(|| panic!("no const {name}"));
    let rest = &source[start..];
    let list = &rest[rest.find('[').unwrap() + 1..rest.find(']').unwrap()];
    list.split(',').map(|n| n.trim().parse().unwrap_or_else(|_| panic!("{name}: {n:?}"))).collect()
}

/// The default of `constant('NAME', default)` in the PHP source.
fn php_constant_default(source: &str, name: &str) -> u64 {
    let needle = format!("self::constant('{name}', ");
    let at = source.find(&needle).unwrap_or_else(|| panic!("no {needle}")) + needle.len();
    source[at..].split(')').next().unwrap().trim().parse().unwrap()
}

#[test]
fn the_plugins_defaults_are_the_engines() {
    let engine = Settings::from_json(br#"{"spool_dir":"/tmp/x"}"#).unwrap();
    let php = plugin_settings();
    assert_eq!(php_int_array(&php, "RETRY_SCHEDULE_S"), engine.retry_schedule_s, "retry schedule");
    assert_eq!(1000 * php_constant_default(&php, "MULTISITE_WEBHOOKS_CONNECT_TIMEOUT"), engine.connect_timeout_ms);
    assert_eq!(1000 * php_constant_default(&php, "MULTISITE_WEBHOOKS_TIMEOUT"), engine.request_timeout_ms);
}
