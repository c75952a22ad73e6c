<?php
/**
 * Loads WordPress for a command-line script, as the site named by the URL in the
 * environment variable MWH_WP_URL (default http://localhost/), from MWH_WP_PATH (ABSPATH).
 *
 * Include it from the top level of a script (WordPress relies on global scope):
 *     require __DIR__ . '/bootstrap.php';
 * Define MWH_INSTALLING first to load WordPress as a single site (network not installed yet).
 * Define MWH_NO_LOAD first to set up $_SERVER only.
 */

if (PHP_SAPI !== 'cli') {
    exit(1);
}

$mwh_url = getenv('MWH_WP_URL') ?: 'http://localhost/';
$mwh_wp_path = rtrim(getenv('MWH_WP_PATH') ?: '/opt/mwh-wordpress/usr/share/wordpress', '/');
$mwh_parts = parse_url($mwh_url);
if (!is_array($mwh_parts) || empty($mwh_parts['host'])) {
    fwrite(STDERR, "invalid URL: $mwh_url\n");
    exit(2);
}
$mwh_https = ($mwh_parts['scheme'] ?? 'http') === 'https';
$mwh_port = (int) ($mwh_parts['port'] ?? ($mwh_https ? 443 : 80));
$mwh_request_uri = ($mwh_parts['path'] ?? '/') . (isset($mwh_parts['query']) ? '?' . $mwh_parts['query'] : '');

$_SERVER['HTTP_HOST'] = $mwh_parts['host'] . (isset($mwh_parts['port']) ? ':' . $mwh_parts['port'] : '');
$_SERVER['SERVER_NAME'] = $mwh_parts['host'];
$_SERVER['SERVER_PORT'] = (string) $mwh_port;
$_SERVER['REQUEST_URI'] = $mwh_request_uri;
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['REMOTE_ADDR'] = '127.0.0.1';
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['PHP_SELF'] = '/index.php';
if ($mwh_https) {
    $_SERVER['HTTPS'] = 'on';
}
unset($mwh_parts, $mwh_https, $mwh_port, $mwh_request_uri);

if (!is_file($mwh_wp_path . '/wp-load.php')) {
    fwrite(STDERR, "WordPress not found at $mwh_wp_path (run tools/wp/install-packages.sh)\n");
    exit(2);
}
// A fatal error (a broken plugin, say) is reported on stderr in plain text: WordPress's own
// handler would print its HTML "critical error" page, and WP_DEBUG_DISPLAY keeps errors
// out of the output (they go to WP_DEBUG_LOG).
defined('WP_DISABLE_FATAL_ERROR_HANDLER') || define('WP_DISABLE_FATAL_ERROR_HANDLER', true);
register_shutdown_function(static function () {
    $e = error_get_last();
    if ($e !== null && ($e['type'] & (E_ERROR | E_PARSE | E_CORE_ERROR | E_COMPILE_ERROR | E_USER_ERROR)) !== 0
        && !in_array(strtolower((string) ini_get('display_errors')), ['1', 'on', 'stderr', 'stdout'], true)) {
        fwrite(STDERR, "PHP Fatal error: {$e['message']} in {$e['file']}:{$e['line']}\n");
    }
});

// MWH_NO_LOAD: only prepare $_SERVER (for entry points that load WordPress themselves).
if (!defined('MWH_NO_LOAD')) {
    require_once $mwh_wp_path . '/wp-load.php';
}
