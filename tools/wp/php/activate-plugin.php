<?php
/**
 * Network-activates the plugin given as argv[1] (e.g. multisite-webhooks/multisite-webhooks.php).
 * Exit code 0: active (now or already); 3: plugin file missing; 1: activation failed.
 */

require __DIR__ . '/bootstrap.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

$plugin = $argv[1] ?? '';
if ($plugin === '' || !is_file(WP_PLUGIN_DIR . '/' . $plugin)) {
    fwrite(STDERR, "plugin file not found: " . WP_PLUGIN_DIR . "/$plugin\n");
    exit(3);
}
if (is_plugin_active_for_network($plugin)) {
    echo "plugin $plugin already network-active\n";
    exit(0);
}
$login = getenv('MWH_ADMIN_USER') ?: 'admin';
$user = get_user_by('login', $login);
if ($user) {
    wp_set_current_user($user->ID);
}
$result = activate_plugin($plugin, '', true);
if (is_wp_error($result)) {
    fwrite(STDERR, "activating $plugin failed: " . $result->get_error_message() . "\n");
    $data = $result->get_error_data();
    if (is_string($data) && $data !== '') {
        fwrite(STDERR, $data . "\n");
    }
    exit(1);
}
echo "network-activated $plugin\n";
