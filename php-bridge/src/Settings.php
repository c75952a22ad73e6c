<?php
/**
 * Engine settings from WordPress: constants first, then filters.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks;

/**
 * Builds the settings given to the engine.
 *
 * Constants (in wp-config.php), all optional:
 * - MULTISITE_WEBHOOKS_SPOOL_DIR     absolute path of the spool directory (default: multisite-webhooks-spool
 *                                   beside the document root; never inside it)
 * - MULTISITE_WEBHOOKS_SSRF_ALLOW    comma-separated addresses/CIDRs webhooks may reach although private
 * - MULTISITE_WEBHOOKS_DURABILITY    'process' (default) or 'power' (fsync every accepted event)
 * - MULTISITE_WEBHOOKS_TIMEOUT       whole-request timeout in seconds (default 15, at most 30)
 * - MULTISITE_WEBHOOKS_CONNECT_TIMEOUT connect timeout in seconds (default 5)
 * - MULTISITE_WEBHOOKS_RETENTION_DAYS delivery log retention (default 30)
 * - MULTISITE_WEBHOOKS_FLUSH_TIMEOUT seconds a CLI/cron process waits for its deliveries before exit (default 10)
 */
final class Settings
{
    /**
     * Seconds after a failed attempt before each retry (5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
     * 10 h: about 27 hours), given to the engine as `retry_schedule_s`; the filter
     * `multisite_webhooks_engine_settings` may change it.
     */
    public const RETRY_SCHEDULE_S = [5, 300, 1800, 7200, 18000, 36000, 36000];

    private static bool $deliveryWorker = false;

    /**
     * From now on this process is the delivery worker (`wp webhook worker`).
     */
    public static function actAsDeliveryWorker(): void
    {
        self::$deliveryWorker = true;
    }

    /**
     * The engine settings array (see README: engine settings).
     *
     * @return array<string, mixed>
     */
    public static function engine(): array
    {
        $settings = [
            'spool_dir' => self::spoolDir(),
            'durability' => self::constant('MULTISITE_WEBHOOKS_DURABILITY', 'process') === 'power' ? 'power' : 'process',
            'connect_timeout_ms' => (int) round(1000 * (float) self::constant('MULTISITE_WEBHOOKS_CONNECT_TIMEOUT', 5)),
            'request_timeout_ms' => (int) round(1000 * min(30.0, (float) self::constant('MULTISITE_WEBHOOKS_TIMEOUT', 15))),
            'ssrf_allow' => self::ssrfAllow(),
            'retry_schedule_s' => self::RETRY_SCHEDULE_S,
            'delivery_worker' => self::$deliveryWorker,
            'user_agent_suffix' => 'WordPress/' . get_bloginfo('version') . '; ' . network_home_url('/'),
        ];
        /**
         * Filters the engine settings (retry_schedule_s, concurrency, per_endpoint_concurrency,
         * max_payload_bytes, … — see README).
         *
         * @since 0.1.0
         *
         * @param array $settings Engine settings.
         */
        return (array) apply_filters('multisite_webhooks_engine_settings', $settings);
    }

    /**
     * The retry schedule in engine settings (Settings::engine()): seconds before each retry.
     *
     * @param array<string, mixed> $settings
     * @return list<int>
     */
    public static function retrySchedule(array $settings): array
    {
        return array_values(array_map('intval', (array) ($settings['retry_schedule_s'] ?? self::RETRY_SCHEDULE_S)));
    }

    /**
     * Addresses the SSRF guard lets through.
     *
     * @return list<string>
     */
    public static function ssrfAllow(): array
    {
        $list = array_values(array_filter(array_map('trim', explode(',', (string) self::constant('MULTISITE_WEBHOOKS_SSRF_ALLOW', '')))));
        /**
         * Filters the addresses and CIDR networks webhooks may reach although they are private.
         *
         * @since 0.1.0
         *
         * @param string[] $list e.g. ['10.0.0.0/8'].
         */
        return array_values(array_map('strval', (array) apply_filters('multisite_webhooks_ssrf_allow', $list)));
    }

    /**
     * The spool directory: the constant, else a folder beside the web server's document root
     * (never inside it: the spool holds every signing secret), else one under the system
     * temporary directory.
     */
    public static function spoolDir(): string
    {
        $dir = (string) self::constant('MULTISITE_WEBHOOKS_SPOOL_DIR', '');
        if ($dir === '') {
            $beside = self::defaultSpoolDir(rtrim(ABSPATH, '/'), get_site_url(function_exists('get_main_site_id') ? get_main_site_id() : null));
            if (is_dir($beside) ? is_writable($beside) : is_writable(dirname($beside))) {
                $dir = $beside;
            } else {
                $dir = rtrim(sys_get_temp_dir(), '/') . '/multisite-webhooks-' . substr(md5(ABSPATH), 0, 10);
            }
        }
        /**
         * Filters the spool directory (absolute; outside the web root).
         *
         * @since 0.1.0
         *
         * @param string $dir Spool directory.
         */
        return (string) apply_filters('multisite_webhooks_spool_dir', $dir);
    }

    /**
     * The default spool: `multisite-webhooks-spool` beside the document root, so outside it in
     * every layout — WordPress at the root (`/var/www/html`), in its own directory
     * (`/var/www/html/wp`, site URL `…/wp`) or a network under a path (`…/blog`): all give
     * `/var/www/multisite-webhooks-spool`.
     */
    public static function defaultSpoolDir(string $abspath, string $siteUrl): string
    {
        return dirname(self::documentRoot($abspath, $siteUrl)) . '/multisite-webhooks-spool';
    }

    /**
     * The folder that serves the network's root URL: WordPress's folder without the path its
     * site URL adds (`/var/www/html/blog/wp` at `https://example.com/blog/wp` is served from
     * `/var/www/html`). When the two do not match (an alias), WordPress's folder itself.
     */
    public static function documentRoot(string $abspath, string $siteUrl): string
    {
        $abspath = rtrim($abspath, '/');
        $path = trim((string) parse_url($siteUrl, PHP_URL_PATH), '/'); // also used before WordPress loads.
        if ($path !== '' && substr($abspath, -strlen($path) - 1) === '/' . $path) {
            return substr($abspath, 0, -strlen($path) - 1) ?: '/';
        }
        return $abspath;
    }

    /**
     * Days the delivery log is kept.
     */
    public static function retentionDays(): int
    {
        return max(1, (int) apply_filters('multisite_webhooks_retention_days', (int) self::constant('MULTISITE_WEBHOOKS_RETENTION_DAYS', 30)));
    }

    /**
     * Milliseconds a CLI or cron process waits for its deliveries before it exits.
     */
    public static function flushTimeoutMs(): int
    {
        return (int) round(1000 * (float) self::constant('MULTISITE_WEBHOOKS_FLUSH_TIMEOUT', 10));
    }

    /**
     * @param mixed $default
     * @return mixed
     */
    private static function constant(string $name, $default)
    {
        return defined($name) ? constant($name) : $default;
    }
}
