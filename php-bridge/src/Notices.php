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
            if (!current_user_can(Plugin::CAPABILITY)) {
                return;
            }
            foreach (self::collect($plugin) as [$level, $html]) {
                printf('<div class="notice notice-%s multisite-webhooks-notice"><p>%s</p></div>', esc_attr($level), $html); // Escaped: built escaped below.
            }
        });
    }

    /**
     * Why a webhook was disabled, in words: the kind's sentence, with the engine's detail.
     *
     * @param array<string, mixed> $hook A webhook (Webhooks::get()).
     */
    public static function disabledReason(array $hook): string
    {
        $kind = (string) ($hook['disabled_kind'] ?? '');
        $reason = (string) $hook['disabled_reason'];
        switch ($kind) {
            case 'gone':
                return __('its endpoint answered 410 Gone, which means "stop sending".', 'multisite-webhooks') . ' (' . $reason . ')';
            case 'failing':
                return __('every delivery failed for days.', 'multisite-webhooks') . ' (' . $reason . ')';
            default:
                // Set by this plugin (an address check): already a sentence.
                return $reason;
        }
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
        if ($loader->mode() === Loader::MODE_DEGRADED && $plugin->jobs()->worker() !== null) {
            $out[] = ['info', sprintf(
                /* translators: %s: reason */
                esc_html__('This PHP cannot load the delivery engine (%s); the delivery worker delivers for it, test sends and redeliveries included.', 'multisite-webhooks'),
                esc_html(rtrim($loader->reason(), '.'))
            )];
        } elseif ($loader->mode() === Loader::MODE_DEGRADED) {
            $out[] = ['warning', sprintf(
                /* translators: 1: reason, 2: fix */
                esc_html__('Multisite Webhooks is in degraded mode: %1$s Events wait in the database until a cron or WP-CLI process moves them to the engine. To fix it: %2$s', 'multisite-webhooks'),
                esc_html($loader->reason()),
                '<code>' . esc_html($loader->fix()) . '</code>'
            )];
        }
        if (SpoolExposure::knownServed(Settings::spoolDir())) {
            $out[] = ['error', sprintf(
                /* translators: 1: folder, 2: fix */
                esc_html__(
                    'The spool folder %1$s is served over HTTP, so the engine does not start there (it would publish every signing secret); events wait in the database. To fix it: %2$s',
                    'multisite-webhooks'
                ),
                '<code>' . esc_html(Settings::spoolDir()) . '</code>',
                '<code>' . esc_html(sprintf('define( \'MULTISITE_WEBHOOKS_SPOOL_DIR\', \'%s\' );', Settings::defaultSpoolDir(rtrim(ABSPATH, '/'), get_site_url()))) . '</code>'
            )];
        }
        $names = [];
        foreach ($plugin->webhooks()->list(['per_page' => 1000]) as $hook) {
            $names[$hook['id']] = $hook['name'];
            if ($hook['disabled_reason'] !== '') {
                $out[] = ['error', sprintf(
                    /* translators: 1: webhook name, 2: reason */
                    esc_html__('The webhook "%1$s" was disabled: %2$s Edit it and tick "Active" to turn it on again.', 'multisite-webhooks'),
                    esc_html($hook['name']),
                    esc_html(self::disabledReason($hook))
                )];
            }
        }
        foreach ((array) get_site_option(Options::REJECTED, []) as $id => $r) {
            $out[] = ['error', sprintf(
                /* translators: 1: webhook name, 2: why */
                esc_html__('The webhook "%1$s" receives no events: the engine cannot use it. %2$s Edit it to correct this.', 'multisite-webhooks'),
                esc_html($names[$id] ?? sprintf('#%d', $id)),
                esc_html(Messages::kind((string) ($r['kind'] ?? ''), '', ['code' => (string) ($r['code'] ?? '')]))
            )];
        }
        $waiting = $plugin->outbox()->count();
        $age = $waiting > 0 ? $plugin->outbox()->oldestAge() : 0;
        if ($age > 5 * MINUTE_IN_SECONDS) {
            $path = $plugin->operations()->deliveryPath();
            $out[] = ['error', sprintf(
                /* translators: 1: number of events, 2: how long, 3: who delivers now, 4: command */
                esc_html(
                    _n(
                        '%1$s event has waited %2$s in the outbox: nothing moves it to the engine. Delivering now: %3$s Start the delivery worker: %4$s',
                        '%1$s events have waited up to %2$s in the outbox: nothing moves them to the engine. Delivering now: %3$s Start the delivery worker: %4$s',
                        $waiting,
                        'multisite-webhooks'
                    )
                ),
                esc_html(number_format_i18n($waiting)),
                esc_html(human_time_diff(time() - $age)),
                esc_html($path['detail']),
                '<code>' . esc_html(Operations::workerCommand()) . '</code>'
            )];
        } elseif ($waiting > 0 && $loader->mode() !== Loader::MODE_DEGRADED) {
            $out[] = ['warning', sprintf(
                /* translators: %d: number of events */
                esc_html(_n('%d event waits in the outbox for the engine.', '%d events wait in the outbox for the engine.', $waiting, 'multisite-webhooks')),
                $waiting
            )];
        }
        $refused = $plugin->deliveries()->refusedSince(time() - DAY_IN_SECONDS);
        if ($refused > 0) {
            $out[] = ['error', sprintf(
                /* translators: 1: number of events, 2: link to the delivery log */
                esc_html(
                    _n(
                        '%1$s event raised in the last 24 hours was refused and can never be sent. %2$s',
                        '%1$s events raised in the last 24 hours were refused and can never be sent. %2$s',
                        $refused,
                        'multisite-webhooks'
                    )
                ),
                esc_html(number_format_i18n($refused)),
                sprintf(
                    '<a href="%s">%s</a>',
                    esc_url(Admin\Admin::url(Admin\Admin::PAGE_LOG, ['status' => Store\Deliveries::REFUSED])),
                    esc_html__('See why in the delivery log.', 'multisite-webhooks')
                )
            )];
        }
        $dropped = (array) get_site_option(Options::DROPPED_SEEN, []);
        if ((int) ($dropped['lost'] ?? 0) > 0 && time() - (int) ($dropped['time'] ?? 0) < 7 * DAY_IN_SECONDS) {
            $out[] = ['error', sprintf(
                /* translators: %s: number of entries */
                esc_html__('%s delivery log entries were lost: the engine keeps finished attempts for a limited space, and nobody imported them in time.', 'multisite-webhooks'),
                esc_html(number_format_i18n((int) $dropped['lost']))
            ) . ' ' . esc_html__('Make sure WP-Cron or a system cron runs every minute.', 'multisite-webhooks')];
        }
        if (Events\UltimateMultisite::active()) {
            $waiting = $plugin->umImport()->waiting();
            if ($waiting > 0) {
                $out[] = ['warning', sprintf(
                    /* translators: 1: number of webhooks, 2: link to the import page */
                    esc_html(
                        _n(
                            '%1$s Ultimate Multisite webhook is not in Multisite Webhooks yet. %2$s',
                            '%1$s Ultimate Multisite webhooks are not in Multisite Webhooks yet. %2$s',
                            $waiting,
                            'multisite-webhooks'
                        )
                    ),
                    esc_html(number_format_i18n($waiting)),
                    sprintf('<a class="button" href="%s">%s</a>', esc_url(Admin\Admin::url(Admin\Admin::PAGE_IMPORT)), esc_html__('Import them', 'multisite-webhooks'))
                )];
            }
            $slugs = (array) get_site_option(Options::UM_REFUSED_SLUGS, []);
            if ($slugs !== []) {
                $out[] = ['warning', sprintf(
                    /* translators: %s: event slugs */
                    esc_html__('Ultimate Multisite registers events whose names a webhook cannot hear (use letters, digits, "_", "-", "." or ":"): %s', 'multisite-webhooks'),
                    esc_html(implode(', ', array_map('strval', $slugs)))
                )];
            }
        }
        $error = get_site_option(Options::LAST_ERROR);
        if (is_array($error) && !empty($error['message']) && time() - (int) ($error['time'] ?? 0) < DAY_IN_SECONDS) {
            $out[] = ['warning', sprintf(
                /* translators: %s: error message */
                esc_html__('Multisite Webhooks met a problem: %s', 'multisite-webhooks'),
                esc_html(Messages::kind((string) ($error['kind'] ?? ''), (string) $error['message']))
            )];
        }
        return $out;
    }
}
