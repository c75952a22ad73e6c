<?php
/**
 * The engine's health as the network admin sees it: mode (and, when degraded, why and the line
 * to add), library version, queue, delivering process, last error.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Admin;

use MultisiteWebhooks\Engine\Loader;
use MultisiteWebhooks\Plugin;

/**
 * Renders Operations::health().
 */
final class HealthPanel
{
    /**
     * Prints the panel: a one-line summary (`$full` false) or the whole table.
     */
    public static function render(Plugin $plugin, bool $full): void
    {
        $h = $plugin->operations()->health();
        $stats = is_array($h['stats']) ? $h['stats'] : [];
        $modes = [
            Loader::MODE_FFI => __('FFI (the engine runs inside each PHP process)', 'multisite-webhooks'),
            Loader::MODE_PRELOAD => __('Preloaded (the engine is loaded once by opcache.preload)', 'multisite-webhooks'),
            Loader::MODE_DEGRADED => __('Degraded (events wait in the database outbox for cron or WP-CLI)', 'multisite-webhooks'),
        ];
        $degraded = $h['mode'] === Loader::MODE_DEGRADED;
        $leader = isset($stats['leader_pid']) && $stats['leader_pid'] !== null
            /* translators: %d: process id */
            ? sprintf(__('process %d', 'multisite-webhooks'), (int) $stats['leader_pid'])
            : __('none right now (the next page view, cron run or WP-CLI command takes over)', 'multisite-webhooks');
        $lastError = (string) ($stats['last_error'] ?? '');

        if (!$full) {
            $class = $degraded || $lastError !== '' ? 'mwh-health mwh-health-warn' : 'mwh-health';
            printf(
                '<p class="%s" id="mwh-health-summary"><strong>%s</strong> %s · %s · %s%s · <a href="%s">%s</a></p>',
                esc_attr($class),
                esc_html__('Engine:', 'multisite-webhooks'),
                esc_html($degraded ? __('degraded', 'multisite-webhooks') : $h['mode']),
                /* translators: %s: library version */
                esc_html(sprintf(__('version %s', 'multisite-webhooks'), (string) ($h['library_version'] ?? '?'))),
                /* translators: %s: number of deliveries waiting */
                esc_html(sprintf(__('%s in the queue', 'multisite-webhooks'), number_format_i18n((int) ($stats['queue_depth'] ?? 0)))),
                $lastError !== '' ? ' · ' . esc_html__('last error:', 'multisite-webhooks') . ' ' . esc_html($lastError) : '',
                esc_url(Admin::url(Admin::PAGE_HEALTH)),
                esc_html__('Health', 'multisite-webhooks')
            );
            return;
        }

        $rows = [
            __('Mode', 'multisite-webhooks') => esc_html($modes[$h['mode']] ?? $h['mode']),
        ];
        if ($degraded) {
            $rows[__('Why', 'multisite-webhooks')] = esc_html((string) $h['reason']);
            $rows[__('To fix it', 'multisite-webhooks')] = '<code>' . esc_html((string) $h['fix']) . '</code>';
        }
        $rows += [
            __('Plugin version', 'multisite-webhooks') => esc_html((string) $h['plugin_version']),
            __('Engine library', 'multisite-webhooks') => $h['library'] === null ? esc_html__('not found', 'multisite-webhooks')
                : '<code>' . esc_html((string) $h['library']) . '</code> ' . esc_html((string) ($h['library_version'] ?? '')),
            __('Spool directory', 'multisite-webhooks') => '<code>' . esc_html((string) $h['spool_dir']) . '</code>',
            __('Spool served over HTTP', 'multisite-webhooks') => sprintf(
                '<span id="mwh-health-served" data-served="%s">%s</span>',
                esc_attr(var_export($h['spool_served']['served'], true)),
                esc_html(($h['spool_served']['served'] === false
                    ? __('No:', 'multisite-webhooks')
                    : ($h['spool_served']['served'] ? __('YES:', 'multisite-webhooks') : __('Unknown:', 'multisite-webhooks')))
                    . ' ' . $h['spool_served']['detail'])
            ),
            __('Who delivers', 'multisite-webhooks') => sprintf(
                '<span id="mwh-health-path" data-path="%s">%s</span>',
                esc_attr((string) $h['path']['kind']),
                esc_html(ucfirst((string) $h['path']['detail']))
            ),
            __('Delivering process', 'multisite-webhooks') => esc_html($leader),
            __('Queue depth', 'multisite-webhooks') => esc_html(number_format_i18n((int) ($stats['queue_depth'] ?? 0))),
            __('Waiting to be sent', 'multisite-webhooks') => esc_html(number_format_i18n((int) ($stats['queued'] ?? 0))),
            __('Being sent', 'multisite-webhooks') => esc_html(number_format_i18n((int) ($stats['in_flight'] ?? 0))),
            __('Waiting for a retry', 'multisite-webhooks') => esc_html(number_format_i18n((int) ($stats['retrying'] ?? 0) + (int) ($stats['parked'] ?? 0))),
            __('Unreachable endpoints', 'multisite-webhooks') => esc_html(number_format_i18n(count((array) ($stats['endpoints_unreachable'] ?? [])))),
            __('Events in the database outbox', 'multisite-webhooks') => esc_html(number_format_i18n((int) $h['outbox'])
                /* translators: %s: how long */
                . ((int) $h['outbox'] > 0 ? ' · ' . sprintf(__('the oldest has waited %s', 'multisite-webhooks'), human_time_diff(time() - max(1, (int) $h['outbox_age']))) : '')),
            __('Delivered / failed (since the spool was created)', 'multisite-webhooks') => esc_html(
                number_format_i18n((int) ($stats['delivered'] ?? 0)) . ' / ' . number_format_i18n((int) ($stats['failed'] ?? 0))
            ),
            __('Durability', 'multisite-webhooks') => esc_html((string) ($stats['durability'] ?? '')),
            __('Webhooks the engine cannot use', 'multisite-webhooks') => esc_html(number_format_i18n(count($h['rejected']))),
            __('Webhooks whose address is not checked yet', 'multisite-webhooks') => esc_html(number_format_i18n((int) $h['unchecked'])),
            __('Events refused in the last 24 hours', 'multisite-webhooks') => esc_html(number_format_i18n((int) $h['refused_24h'])),
            __('Ultimate Multisite webhooks not imported', 'multisite-webhooks') => \MultisiteWebhooks\Events\UltimateMultisite::active()
                ? sprintf('%s <a href="%s">%s</a>', esc_html(number_format_i18n($plugin->umImport()->waiting())), esc_url(Admin::url(Admin::PAGE_IMPORT)), esc_html__('Import', 'multisite-webhooks'))
                : esc_html__('Ultimate Multisite is not active', 'multisite-webhooks'),
            __('Delivery log entries lost (journal full)', 'multisite-webhooks') => esc_html(number_format_i18n((int) ($stats['results_dropped'] ?? 0))),
            __('Last error', 'multisite-webhooks') => $lastError === '' ? esc_html__('none', 'multisite-webhooks') : esc_html($lastError),
        ];
        echo '<table class="widefat striped mwh-health-table" id="mwh-health"><tbody>';
        foreach ($rows as $label => $html) {
            printf('<tr><th scope="row">%s</th><td>%s</td></tr>', esc_html($label), $html); // Escaped: escaped above.
        }
        echo '</tbody></table>';
    }
}
