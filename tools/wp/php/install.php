<?php
/**
 * Installs WordPress and turns it into a subdirectory multisite network (idempotent).
 * Run by tools/wp/up.sh as: MWH_WP_URL=http://localhost/ php install.php
 * Reads MWH_TITLE, MWH_ADMIN_USER, MWH_ADMIN_EMAIL, MWH_ADMIN_PASSWORD from the environment.
 *
 * Phase 1 of 2: WordPress is loaded as a single site (MWH_INSTALLING keeps the MULTISITE
 * constants out of wp-config) because the network tables do not exist yet.
 */

define('WP_INSTALLING', true);
define('MWH_INSTALLING', true);

// No "new site" e-mail from wp_install() (there is no mail server).
function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password)
{
}

require __DIR__ . '/bootstrap.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/network.php';

$title = getenv('MWH_TITLE') ?: 'Multisite Webhooks Demo';
$login = getenv('MWH_ADMIN_USER') ?: 'admin';
$email = getenv('MWH_ADMIN_EMAIL') ?: 'admin@example.com';
$password = (string) getenv('MWH_ADMIN_PASSWORD');
$url = rtrim(getenv('MWH_WP_URL') ?: 'http://localhost/', '/');
$domain = (string) parse_url($url, PHP_URL_HOST);
if ($password === '') {
    fwrite(STDERR, "MWH_ADMIN_PASSWORD is empty\n");
    exit(2);
}

global $wpdb;

if (!is_blog_installed()) {
    // wp_install() probes the site over HTTP for pretty permalinks; the web server already
    // loads the network configuration, whose tables do not exist yet. network.php sets them.
    add_filter('pre_http_request', static function () {
        return new WP_Error('mwh_installing', 'no HTTP requests while installing');
    });
    $result = wp_install($title, $login, $email, true, '', wp_slash($password));
    echo "installed WordPress (user $login, id {$result['user_id']})\n";
} else {
    echo "WordPress already installed\n";
}
update_option('siteurl', $url);
update_option('home', $url);

$user = get_user_by('login', $login);
if (!$user) {
    fwrite(STDERR, "user $login is missing from an installed WordPress\n");
    exit(1);
}
if (!wp_check_password($password, $user->user_pass, $user->ID)) {
    wp_set_password($password, $user->ID);
    echo "admin password reset to the one in the state directory\n";
}

// As wp-admin/network.php does: without the global table names, install_network() and
// populate_network() silently do nothing.
foreach ($wpdb->tables('ms_global') as $table => $prefixed_table) {
    $wpdb->$table = $prefixed_table;
}

$has_site_table = $wpdb->get_var($wpdb->prepare('SHOW TABLES LIKE %s', $wpdb->esc_like($wpdb->site))) === $wpdb->site;
$network_rows = $has_site_table ? (int) $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->site}") : 0;
if ($network_rows === 0) {
    install_network();
    $result = populate_network(1, $domain, $email, $title, '/', false);
    if (is_wp_error($result) && $result->get_error_code() !== 'siteid_exists') {
        fwrite(STDERR, 'populate_network: ' . $result->get_error_message() . "\n");
        exit(1);
    }
    echo "installed the multisite network (subdirectories, domain $domain)\n";
} else {
    echo "multisite network already installed\n";
}
