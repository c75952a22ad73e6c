<?php
/**
 * Plugin Name: Local network helpers
 * Description: For the local development network brought up by tools/wp/up.sh, which reaches
 *              no host but this machine: e-mails are written as JSON lines to the file named
 *              by MWH_DEV_MAIL_LOG instead of being sent, and WordPress does not ask
 *              wordpress.org for updates or translations (each failed attempt logs a warning).
 */

defined('ABSPATH') || exit;

add_filter('pre_wp_mail', static function ($short_circuit, $atts) {
    if (null !== $short_circuit || !defined('MWH_DEV_MAIL_LOG')) {
        return $short_circuit;
    }
    $record = [
        'time' => gmdate('c'),
        'site' => get_current_blog_id(),
        'to' => $atts['to'] ?? '',
        'subject' => $atts['subject'] ?? '',
        'headers' => $atts['headers'] ?? '',
        'message' => $atts['message'] ?? '',
    ];
    $line = wp_json_encode($record, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) . "\n";
    return false !== @file_put_contents(MWH_DEV_MAIL_LOG, $line, FILE_APPEND | LOCK_EX);
}, 10, 2);

// wp-includes/update.php hooks these before must-use plugins load.
foreach ([
    ['admin_init', '_maybe_update_core'],
    ['admin_init', '_maybe_update_plugins'],
    ['admin_init', '_maybe_update_themes'],
    ['wp_version_check', 'wp_version_check'],
    ['wp_update_plugins', 'wp_update_plugins'],
    ['wp_update_themes', 'wp_update_themes'],
    ['load-plugins.php', 'wp_update_plugins'],
    ['load-update.php', 'wp_update_plugins'],
    ['load-update-core.php', 'wp_update_plugins'],
    ['load-themes.php', 'wp_update_themes'],
    ['load-update.php', 'wp_update_themes'],
    ['load-update-core.php', 'wp_update_themes'],
    ['wp_maybe_auto_update', 'wp_maybe_auto_update'],
] as [$hook, $callback]) {
    remove_action($hook, $callback);
}
// The Updates screen calls wp_version_check() itself: a fresh "nothing new" answer stops it.
add_filter('pre_site_transient_update_core', static function ($pre) {
    if (false !== $pre) {
        return $pre;
    }
    return (object) [
        'updates' => [],
        'version_checked' => $GLOBALS['wp_version'],
        'last_checked' => time(),
        'translations' => [],
    ];
});
add_filter('translations_api', static function ($result) {
    return false === $result ? ['translations' => []] : $result;
});
