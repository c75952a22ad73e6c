<?php
/**
 * Removes what the plugin created: its tables, network options, cron event and spool.
 *
 * @package MultisiteWebhooks
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

require_once __DIR__ . '/src/Autoloader.php';
\MultisiteWebhooks\Autoloader::register( __DIR__ . '/src' );

\MultisiteWebhooks\Store\Schema::uninstall();
wp_clear_scheduled_hook( \MultisiteWebhooks\Cron::HOOK );

// The spool holds only files the engine wrote; remove them and the directory.
$multisite_webhooks_spool = \MultisiteWebhooks\Settings::spoolDir();
if ( is_dir( $multisite_webhooks_spool . '/queue' ) ) {
	foreach ( array( 'queue', 'results' ) as $multisite_webhooks_sub ) {
		foreach ( (array) glob( $multisite_webhooks_spool . '/' . $multisite_webhooks_sub . '/*' ) as $multisite_webhooks_file ) {
			@unlink( $multisite_webhooks_file ); // Silenced: best effort.
		}
		@rmdir( $multisite_webhooks_spool . '/' . $multisite_webhooks_sub );
	}
	foreach ( array( 'leader.lock', 'endpoints.json', 'endpoints.lock', 'stats.json', 'health.json' ) as $multisite_webhooks_file ) {
		@unlink( $multisite_webhooks_spool . '/' . $multisite_webhooks_file );
	}
	@rmdir( $multisite_webhooks_spool );
}
