<?php
/**
 * Network admin notices for what needs attention: degraded mode, disabled webhooks, events
 * waiting in the outbox, the last engine error.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks;

use MultisiteWebhooks\Engine\Loader;

/**
 * Shows notices to network admins.
 */
final class Notices
{
    /**
     * Hooks the notices into the network admin.
     */
    public static function attach(Plugin $plugin): void
    {
        add_action('network_admin_notices', static function () use ($plugin): void {
            if (!current_user_can('manage_network_options')) {
                return;
            }
            foreach (self::collect($plugin) as [$level, $html]) {
                printf('<div class="notice notice-%s multisite-webhooks-notice"><p>%s</p></div>', esc_attr($level), $html); // phpcs:ignore WordPress.Security.EscapeOutput -- built escaped below.
            }
        });
    }

    /**
     * The notices that apply now: [level, escaped HTML].
     *
     * @return list<array{0:string,1:string}>
     */
    public static function collect(Plugin $plugin): array
    {
        $out = [];
        $loader = $plugin->loader();
        $plugin->engine();
        if ($loader->mode() === Loader::MODE_DEGRADED) {
            $out[] = ['warning', sprintf(
                /* translators: 1: reason, 2: fix */
                esc_html__('Multisite Webhooks is in degraded mode: %1$s Events wait in the database until a cron or WP-CLI process moves them to the engine. To fix it: %2$s', 'multisite-webhooks'),
                esc_html($loader->reason()), '<code>' . esc_html($loader->fix()) . '</code>')];
        }
        foreach ($plugin->webhooks()->list(['per_page' => 50]) as $hook) {
            if ($hook['disabled_reason'] !== '') {
                $out[] = ['error', sprintf(
                    /* translators: 1: webhook name, 2: reason */
                    esc_html__('The webhook "%1$s" was disabled: %2$s. Edit and save it to turn it on again.', 'multisite-webhooks'),
                    esc_html($hook['name']), esc_html($hook['disabled_reason']))];
            }
        }
        $waiting = $plugin->outbox()->count();
        if ($waiting > 0 && ($loader->mode() !== Loader::MODE_DEGRADED || $plugin->outbox()->oldestAge() > 5 * MINUTE_IN_SECONDS)) {
            $out[] = ['warning', sprintf(
                /* translators: %d: number of events */
                esc_html(_n('%d event waits in the outbox for the engine.', '%d events wait in the outbox for the engine.', $waiting, 'multisite-webhooks')), $waiting)];
        }
        $error = get_site_option('multisite_webhooks_last_error');
        if (is_array($error) && !empty($error['message']) && time() - (int) ($error['time'] ?? 0) < DAY_IN_SECONDS) {
            $out[] = ['warning', sprintf(
                /* translators: %s: error message */
                esc_html__('Multisite Webhooks met a problem: %s', 'multisite-webhooks'), esc_html((string) $error['message']))];
        }
        return $out;
    }
}
