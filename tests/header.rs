//! The committed C header is the one cbindgen generates from the code now.

#[test]
fn the_committed_header_is_current() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/multisite_webhooks.h"));
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/multisite_webhooks.h"))
        .expect("include/multisite_webhooks.h is committed");
    assert!(committed == generated, "include/multisite_webhooks.h is stale: run `make header` and commit it");
}

#[test]
fn the_header_has_only_what_php_ffi_parses() {
    let h = include_str!(concat!(env!("OUT_DIR"), "/multisite_webhooks.h"));
    for line in h.lines().filter(|l| l.starts_with('#')) {
        assert!(
            line.starts_with("#ifndef")
                || line.starts_with("#define MULTISITE_WEBHOOKS_H")
                || line.starts_with("#endif")
                || line.starts_with("#include <std"),
            "PHP's FFI skips '#' lines; this one would carry meaning: {line}"
        );
    }
    assert!(!h.contains("enum") && !h.contains("(*"), "no enums or callbacks in the surface");
    for f in [
        "hooks_version",
        "hooks_init",
        "hooks_configure",
        "hooks_emit",
        "hooks_send_test",
        "hooks_check_url",
        "hooks_flush",
        "hooks_stats",
        "hooks_take_results",
        "hooks_ack_results",
        "hooks_redeliver",
        "hooks_last_error",
        "hooks_last_error_kind",
        "hooks_status_name",
        "hooks_string_free",
        "hooks_shutdown",
    ] {
        assert!(h.contains(&format!(" {f}(")) || h.contains(&format!("*{f}(")), "{f} is exported");
    }
}
