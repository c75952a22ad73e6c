<?php
/**
 * opcache.preload script: declares the engine's FFI scope once at PHP start, so PHP-FPM
 * pools with the default ffi.enable=preload can use the engine.
 *
 *   opcache.preload=/path/to/wp-content/plugins/multisite-webhooks/preload.php
 *   opcache.preload_user=www-data
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

(static function (): void {
    // Only at PHP start (opcache.preload runs before any request): requested over HTTP, this
    // file does nothing, whatever ffi.enable says.
    if (isset($_SERVER['REQUEST_METHOD']) || !extension_loaded('ffi')) {
        return;
    }
    $dir = __DIR__;
    $library = null;
    foreach ([$dir . '/lib/libmultisite_webhooks.so', dirname($dir) . '/target/release/libmultisite_webhooks.so'] as $path) {
        if (is_file($path)) {
            $library = realpath($path);
            break;
        }
    }
    $header = null;
    foreach ([$dir . '/lib/multisite_webhooks.h', dirname($dir) . '/include/multisite_webhooks.h'] as $path) {
        if (is_file($path)) {
            $header = (string) file_get_contents($path);
            break;
        }
    }
    if ($library === null || $header === null) {
        return;
    }
    // FFI::load reads FFI_SCOPE and FFI_LIB from the header it is given.
    $scoped = "#define FFI_SCOPE \"MULTISITE_WEBHOOKS\"\n#define FFI_LIB \"" . $library . "\"\n" . $header;
    $tmp = tempnam(sys_get_temp_dir(), 'mwh-ffi-');
    if ($tmp === false) {
        return;
    }
    file_put_contents($tmp, $scoped);
    try {
        FFI::load($tmp);
    } catch (\Throwable $e) {
        // No scope then: the plugin's loader says why and what to set.
    } finally {
        unlink($tmp);
    }
})();
