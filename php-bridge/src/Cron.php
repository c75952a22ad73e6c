<?php
/**
 * Background upkeep, every minute on the main site's cron (and from WP-CLI): import results,
 * move the outbox into the engine, expire rotated secrets, prune the log.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks;

/**
 * The `multisite_webhooks_tick` cron event.
 */
final class Cron
{
    /** The cron hook. */
    public const HOOK = 'multisite_webhooks_tick';

    /** The cron schedule. */
    public const SCHEDULE = 'multisite_webhooks_minute';

    /**
     * Registers the schedule and the handler.
     */
    public static function attach(Plugin $plugin): void
    {
        add_filter('cron_schedules', static function (array $schedules): array {
            $schedules[self::SCHEDULE] = ['interval' => MINUTE_IN_SECONDS, 'display' => __('Every minute (Multisite Webhooks)', 'multisite-webhooks')];
            return $schedules;
        });
        add_action(self::HOOK, static function () use ($plugin): void {
            self::tick($plugin);
        });
        add_action('init', static function (): void {
            if (is_main_site() && !wp_next_scheduled(self::HOOK)) {
                wp_schedule_event(time(), self::SCHEDULE, self::HOOK);
            }
        });
    }

    /**
     * One round of upkeep; returns what was done.
     *
     * @return array{imported:int, moved:int, pruned:int}
     */
    public static function tick(Plugin $plugin, float $seconds = 20.0): array
    {
        $end = microtime(true) + $seconds;
        $done = ['imported' => 0, 'moved' => 0, 'pruned' => 0];
        $engine = $plugin->engine();
        if ($engine !== null) {
            $plugin->webhooks()->expireSecrets();
            $plugin->dispatcher()->sync($engine, true);
            $outbox = $plugin->outbox();
            while (microtime(true) < $end && ($moved = $outbox->drain($engine, 500)) > 0) {
                $done['moved'] += $moved;
            }
            if ($done['moved'] > 0) {
                $engine->flush((int) max(0, min(10_000, ($end - microtime(true)) * 500)));
            }
            $done['imported'] = $plugin->importer()->run(max(0.5, $end - microtime(true)));
        }
        $last = (int) get_site_option('multisite_webhooks_last_prune', 0);
        if (time() - $last >= HOUR_IN_SECONDS) {
            update_site_option('multisite_webhooks_last_prune', time());
            $done['pruned'] = $plugin->deliveries()->prune(Settings::retentionDays());
        }
        return $done;
    }
}
