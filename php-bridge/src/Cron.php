<?php
/**
 * Background upkeep, every minute on the main site's cron (and from WP-CLI): import results,
 * move the outbox into the engine, expire rotated secrets, prune the log.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks;

use MultisiteWebhooks\Engine\EngineException;

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
     * Notes (at most twice a minute) that a process with the engine ran the upkeep: the Health
     * panel tells from it whether a system cron delivers.
     */
    private static function noteRun(): void
    {
        $last = (array) get_site_option(Options::LAST_TICK, []);
        if (time() - (int) ($last['time'] ?? 0) >= 30) {
            update_site_option(Options::LAST_TICK, ['time' => time(), 'sapi' => PHP_SAPI, 'cron' => wp_doing_cron()]);
        }
    }

    /**
     * One round of upkeep; returns what was done. Never throws: each step that fails is
     * recorded for the network admin (Emitter::noteError) and the next steps still run.
     *
     * @return array{imported:int, moved:int, pruned:int, errors:list<string>}
     */
    public static function tick(Plugin $plugin, float $seconds = 20.0): array
    {
        $end = microtime(true) + $seconds;
        $done = ['imported' => 0, 'moved' => 0, 'pruned' => 0, 'errors' => []];
        $step = static function (callable $work) use ($plugin, &$done): void {
            try {
                $work();
            } catch (\Throwable $e) {
                $done['errors'][] = $e->getMessage();
                $plugin->emitter()->noteError($e->getMessage(), $e instanceof EngineException ? $e->kind() : 'internal');
            }
        };
        $engine = $plugin->engine();
        if ($engine->delivers()) {
            $step(static fn () => $plugin->operations()->runJobs(min(5.0, $seconds)));
            $step(static fn () => self::noteRun());
            $step(static fn () => $plugin->webhooks()->expireSecrets());
            $step(static fn () => $plugin->emitter()->sync($engine, true));
            $step(static fn () => $plugin->operations()->checkUnchecked($engine));
            $step(static function () use ($plugin, $engine, $end, &$done): void {
                $refused = [$plugin->emitter(), 'refuseFromOutbox'];
                while (microtime(true) < $end && ($moved = $plugin->outbox()->drain($engine, $refused)) > 0) {
                    $done['moved'] += $moved;
                }
                if ($done['moved'] > 0) {
                    $engine->flush((int) max(0, min(10_000, ($end - microtime(true)) * 500)));
                }
            });
            $done['imported'] = $plugin->importer()->run(max(0.5, $end - microtime(true)));
        }
        $step(static function () use ($plugin, &$done): void {
            $last = (int) get_site_option(Options::LAST_PRUNE, 0);
            if (time() - $last >= HOUR_IN_SECONDS) {
                update_site_option(Options::LAST_PRUNE, time());
                $done['pruned'] = $plugin->deliveries()->prune(Settings::retentionDays());
                $plugin->jobs()->prune();
            }
        });
        return $done;
    }
}
