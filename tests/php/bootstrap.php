<?php
/**
 * Test bootstrap: autoloading, and the engine library the tests load through FFI.
 *
 * The library is $HOOKS_LIB, or target/release/libmultisite_webhooks.so under the repository
 * root (build it with `cargo build --release`). Also used by the scripts in fixtures/.
 */

declare(strict_types=1);

require __DIR__ . '/autoload.php';

(static function (): void {
    $root = dirname(__DIR__, 2);
    $lib = getenv('HOOKS_LIB');
    if (false === $lib || '' === $lib) {
        $lib = $root . '/target/release/libmultisite_webhooks.so';
    } elseif ('/' !== $lib[0]) {
        $lib = $root . '/' . $lib;
    }
    $problem = null;
    if (!extension_loaded('ffi')) {
        $problem = 'the PHP FFI extension is not loaded';
    } elseif (!is_file($lib)) {
        $problem = "the engine library $lib does not exist; build it with `cargo build --release` or point HOOKS_LIB at it";
    }
    if (null !== $problem) {
        fwrite(STDERR, "tests/php: cannot run: $problem\n");
        exit(1);
    }
    define('HOOKS_TEST_ROOT', $root);
    define('HOOKS_TEST_LIB', (string) realpath($lib));
    define('HOOKS_TEST_HEADER', $root . '/include/multisite_webhooks.h');
})();
