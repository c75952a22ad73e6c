<?php
/**
 * Phase 2 of 2 (see install.php), with the network loaded: super admin, the sites
 * listed in MWH_SITES ("slug:Title,slug:Title"), pretty permalinks. Idempotent.
 */

require __DIR__ . '/bootstrap.php';

$login = getenv('MWH_ADMIN_USER') ?: 'admin';
$sites = getenv('MWH_SITES') ?: 'site2:Site 2,site3:Site 3';

if (!is_multisite()) {
    fwrite(STDERR, "WordPress is not running as a multisite network\n");
    exit(1);
}
$user = get_user_by('login', $login);
if (!$user) {
    fwrite(STDERR, "user $login not found\n");
    exit(1);
}
if (!is_super_admin($user->ID)) {
    grant_super_admin($user->ID);
    echo "granted super admin to $login\n";
}

$network = get_network();
foreach (array_filter(array_map('trim', explode(',', $sites))) as $entry) {
    [$slug, $title] = array_pad(explode(':', $entry, 2), 2, '');
    $slug = trim($slug, '/ ');
    $title = $title !== '' ? $title : $slug;
    $path = $network->path . $slug . '/';
    $existing = get_sites(['domain' => $network->domain, 'path' => $path, 'number' => 1, 'fields' => 'ids']);
    if ($existing) {
        echo "site $path exists (id {$existing[0]})\n";
        continue;
    }
    $id = wpmu_create_blog($network->domain, $path, $title, $user->ID, ['public' => 1], $network->id);
    if (is_wp_error($id)) {
        fwrite(STDERR, "creating site $path failed: " . $id->get_error_message() . "\n");
        exit(1);
    }
    switch_to_blog($id);
    update_option('permalink_structure', '/%postname%/'); // as the main site
    delete_option('rewrite_rules');
    restore_current_blog();
    echo "created site $path (id $id)\n";
}

// Pretty permalinks everywhere (the REST API under /wp-json/ needs them), unless set already.
foreach (get_sites(['fields' => 'ids', 'number' => 100000]) as $blog_id) {
    switch_to_blog($blog_id);
    if (get_option('permalink_structure') === '') {
        update_option('permalink_structure', '/%postname%/');
        delete_option('rewrite_rules'); // rebuilt by that site's next request
    }
    restore_current_blog();
}
