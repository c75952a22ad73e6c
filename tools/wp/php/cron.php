<?php
/**
 * Runs the due WP-Cron events of the site at MWH_WP_URL, as a request to wp-cron.php would
 * (DISABLE_WP_CRON only stops page views from spawning it). Used by tools/wp/cron.sh.
 */
define('MWH_NO_LOAD', true);
require __DIR__ . '/bootstrap.php';
require $mwh_wp_path . '/wp-cron.php';
