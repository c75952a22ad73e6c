<?php
/**
 * The name of every option the plugin keeps: one place, so that reading, writing and
 * uninstalling cannot disagree.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks;

/**
 * Network (site) options and per-user screen options of the plugin.
 */
final class Options
{
    /** The installed table layout (Store\Schema::DB_VERSION). */
    public const DB_VERSION = 'multisite_webhooks_db_version';

    /** Increases whenever anything the engine needs about the webhooks changed. */
    public const CONFIG_VERSION = 'multisite_webhooks_config_version';

    /** The last problem met, `['message', 'kind', 'time']`, for the network admin notice. */
    public const LAST_ERROR = 'multisite_webhooks_last_error';

    /** Endpoints the engine left out of the newest snapshot, by webhook id. */
    public const REJECTED = 'multisite_webhooks_rejected_endpoints';

    /** When and where the cron tick last ran. */
    public const LAST_TICK = 'multisite_webhooks_last_tick';

    /** When the delivery log was last pruned. */
    public const LAST_PRUNE = 'multisite_webhooks_last_prune';

    /** Results the engine dropped that the notice already counted. */
    public const DROPPED_SEEN = 'multisite_webhooks_results_dropped_seen';

    /** The delivery worker's heartbeat. */
    public const WORKER_HEARTBEAT = 'multisite_webhooks_worker';

    /** Whether the spool is served over HTTP, as last checked. */
    public const SPOOL_EXPOSURE = 'multisite_webhooks_spool_exposure';

    /** Whether this plugin took over Ultimate Multisite's webhooks. */
    public const UM_TAKEOVER = 'multisite_webhooks_um_takeover';

    /** Ultimate Multisite event slugs this network refused. */
    public const UM_REFUSED_SLUGS = 'multisite_webhooks_um_refused_slugs';

    /** Every network option, for uninstall. */
    public const NETWORK = [self::DB_VERSION, self::CONFIG_VERSION, self::LAST_ERROR, self::REJECTED, self::LAST_TICK, self::LAST_PRUNE,
        self::DROPPED_SEEN, self::WORKER_HEARTBEAT, self::SPOOL_EXPOSURE, self::UM_TAKEOVER, self::UM_REFUSED_SLUGS];

    /** Screen option (user meta): webhooks per page. */
    public const WEBHOOKS_PER_PAGE = 'multisite_webhooks_per_page';

    /** Screen option (user meta): delivery log entries per page. */
    public const DELIVERIES_PER_PAGE = 'multisite_webhooks_deliveries_per_page';

    /** Every per-user option, for uninstall. */
    public const USER = [self::WEBHOOKS_PER_PAGE, self::DELIVERIES_PER_PAGE];
}
