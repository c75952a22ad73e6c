<?php
/**
 * The plugin's network-wide tables: created on network activation, upgraded by version.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Store;

use MultisiteWebhooks\Options;

/**
 * Table names and their definitions.
 */
final class Schema
{
    /** Bump when a table definition changes. */
    public const DB_VERSION = '8';


    /**
     * The full name of one of the plugin's tables (`webhooks`, `deliveries`, `events`, `outbox`, `jobs`).
     */
    public static function table(string $name): string
    {
        global $wpdb;
        return $wpdb->base_prefix . 'mwh_' . $name;
    }

    /**
     * Activation hook: creates or upgrades the tables.
     */
    public static function activate(): void
    {
        self::install();
    }

    /**
     * Upgrades when the installed version differs (on admin requests, cron and CLI).
     */
    public static function maybeUpgrade(): void
    {
        if (get_site_option(Options::DB_VERSION) !== self::DB_VERSION) {
            self::install();
        }
    }

    /**
     * Creates or upgrades every table (dbDelta).
     */
    public static function install(): void
    {
        global $wpdb;
        require_once ABSPATH . 'wp-admin/includes/upgrade.php';
        $charset = $wpdb->get_charset_collate();
        $webhooks = self::table('webhooks');
        $deliveries = self::table('deliveries');
        $events = self::table('events');
        $outbox = self::table('outbox');
        $jobs = self::table('jobs');
        dbDelta("CREATE TABLE {$webhooks} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  migrated_from_id bigint(20) unsigned NOT NULL DEFAULT 0,
  name varchar(191) NOT NULL DEFAULT '',
  webhook_url varchar(2048) NOT NULL DEFAULT '',
  event varchar(191) NOT NULL DEFAULT '',
  events text NOT NULL,
  event_count bigint(20) unsigned NOT NULL DEFAULT 0,
  failure_count bigint(20) unsigned NOT NULL DEFAULT 0,
  active tinyint(1) NOT NULL DEFAULT 1,
  hidden tinyint(1) NOT NULL DEFAULT 0,
  integration varchar(191) NOT NULL DEFAULT 'manual',
  payload_format varchar(20) NOT NULL DEFAULT 'flat',
  secrets text NOT NULL,
  headers text NULL,
  revision bigint(20) unsigned NOT NULL DEFAULT 1,
  disabled_reason text NULL,
  disabled_kind varchar(32) NULL,
  url_checked tinyint(1) NOT NULL DEFAULT 1,
  date_disabled datetime NULL,
  date_last_failed datetime NULL,
  date_last_delivery datetime NULL,
  last_status varchar(64) NULL,
  date_created datetime NULL,
  date_modified datetime NULL,
  date_activated datetime NULL,
  activated_ms bigint(20) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY  (id),
  KEY event (event),
  KEY integration (integration)
) {$charset};");
        dbDelta("CREATE TABLE {$deliveries} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  attempt_id varchar(64) NOT NULL,
  event_id varchar(64) NOT NULL,
  webhook_id bigint(20) unsigned NOT NULL DEFAULT 0,
  event varchar(191) NOT NULL DEFAULT '',
  attempt int(10) unsigned NOT NULL DEFAULT 0,
  outcome varchar(20) NOT NULL DEFAULT '',
  status_code smallint(5) unsigned NULL,
  error text NULL,
  error_kind varchar(32) NULL,
  duration_ms int(10) unsigned NOT NULL DEFAULT 0,
  url varchar(2048) NOT NULL DEFAULT '',
  request_headers text NULL,
  response_headers text NULL,
  response_excerpt mediumtext NULL,
  next_attempt_at datetime NULL,
  is_test tinyint(1) NOT NULL DEFAULT 0,
  is_redelivery tinyint(1) NOT NULL DEFAULT 0,
  date_created datetime NOT NULL,
  PRIMARY KEY  (id),
  UNIQUE KEY attempt_id (attempt_id),
  KEY webhook_date (webhook_id,date_created),
  KEY event_id (event_id),
  KEY date_created (date_created),
  KEY outcome (outcome)
) {$charset};");
        dbDelta("CREATE TABLE {$events} (
  event_id varchar(64) NOT NULL,
  event varchar(191) NOT NULL DEFAULT '',
  payload longtext NOT NULL,
  date_created datetime NOT NULL,
  PRIMARY KEY  (event_id),
  KEY date_created (date_created)
) {$charset};");
        dbDelta("CREATE TABLE {$outbox} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  event_id varchar(40) NOT NULL DEFAULT '',
  webhook_id bigint(20) unsigned NOT NULL DEFAULT 0,
  event varchar(191) NOT NULL DEFAULT '',
  payload longtext NOT NULL,
  reason varchar(255) NOT NULL DEFAULT '',
  date_created datetime NOT NULL,
  PRIMARY KEY  (id)
) {$charset};");
        dbDelta("CREATE TABLE {$jobs} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  kind varchar(32) NOT NULL DEFAULT '',
  request longtext NOT NULL,
  state varchar(10) NOT NULL DEFAULT 'waiting',
  answer longtext NULL,
  date_created datetime NOT NULL,
  date_done datetime NULL,
  PRIMARY KEY  (id),
  KEY state_id (state,id)
) {$charset};");
        update_site_option(Options::DB_VERSION, self::DB_VERSION);
    }

    /**
     * Drops every table, network option and screen option the plugin created (uninstall).
     */
    public static function uninstall(): void
    {
        global $wpdb;
        foreach (['webhooks', 'deliveries', 'events', 'outbox', 'jobs'] as $t) {
            $wpdb->query('DROP TABLE IF EXISTS ' . self::table($t)); // SQL safe: table name only.
        }
        foreach (Options::NETWORK as $o) {
            delete_site_option($o);
        }
        foreach (Options::USER as $o) {
            delete_metadata('user', 0, $o, '', true);
        }
    }
}
