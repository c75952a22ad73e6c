<?php
/**
 * Ultimate Multisite: its events flow through this plugin unchanged, and its event types
 * join the catalog.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Events;

use MultisiteWebhooks\Options;
use MultisiteWebhooks\Plugin;

/**
 * Bridge to Ultimate Multisite's event system (`wu_event` action, `wu_get_event_types()`).
 */
final class UltimateMultisite
{
    /**
     * Network option: set once this plugin has taken over Ultimate Multisite's webhooks (an
     * import did, or the network admin turned it on). While set, Ultimate Multisite's own
     * sender and its Send Test are taken out on every request.
     */


    /**
     * Whether this plugin has taken over Ultimate Multisite's webhooks.
     */
    public static function tookOver(): bool
    {
        return (bool) get_site_option(Options::UM_TAKEOVER, false);
    }

    /**
     * Forwards every event Ultimate Multisite raises; once taken over, takes its sender out,
     * answers its Send Test, and imports a webhook saved there at once.
     */
    public static function attach(Plugin $plugin): void
    {
        // After Ultimate Multisite adds its listeners (its Webhook_Manager, on init at 10).
        add_action('init', static function () use ($plugin): void {
            if (self::active() && self::tookOver()) {
                self::removeSender();
                add_action('wp_ajax_wu_send_test_event', static function () use ($plugin): void {
                    self::sendTest($plugin);
                });
            }
        }, 1000);
        // A webhook saved in Ultimate Multisite (its edit page, REST /wu/v2/webhook, wp wu
        // webhook create) joins this plugin's list at once.
        add_action('wu_webhook_post_save', static function ($data, $model = null) use ($plugin): void {
            if (!self::tookOver()) {
                return;
            }
            $id = is_object($model) && method_exists($model, 'get_id') ? (int) $model->get_id() : (int) ($data['id'] ?? 0);
            if ($id > 0) {
                $plugin->umImport()->importOne($id);
            }
        }, 10, 2);
        add_action('wu_event', static function ($slug, $payload = []) use ($plugin): void {
            if (!is_string($slug)) {
                return; // Nothing to name it by.
            }
            if (!is_array($payload)) {
                $plugin->emitter()->refuseEvent($slug, 'not_object', sprintf('Ultimate Multisite raised it with a %s payload, not an array', gettype($payload)));
                return;
            }
            $plugin->emitter()->emitTrusted($slug, $payload);
        }, 10, 2);
    }

    /**
     * The events Ultimate Multisite 2.4 raises, known while it is not active too
     * (php-bridge/data/ultimate-multisite-events.json): slug => [name, description].
     *
     * @return array<string, array{name:string, description:string}>
     */
    public static function known(): array
    {
        static $known = null;
        if ($known === null) {
            $doc = json_decode((string) file_get_contents(dirname(__DIR__, 2) . '/data/ultimate-multisite-events.json'), true);
            $known = [];
            foreach ((array) ($doc['events'] ?? []) as $e) {
                $known[(string) $e['slug']] = ['name' => (string) $e['name'], 'description' => (string) $e['description']];
            }
        }
        return $known;
    }

    /**
     * Who raises an event that is not registered now: "Ultimate Multisite" for its slugs,
     * else the custom code that registers it.
     */
    public static function sourceOf(string $slug): string
    {
        return isset(self::known()[$slug]) ? 'Ultimate Multisite' : __('the plugin or code that registers it', 'multisite-webhooks');
    }

    /**
     * Takes Ultimate Multisite's sender (`send_webhooks` on every `wu_event_{slug}`) and its
     * Send Test handler out of this request: it posts to every row of its table, `active` or
     * not, unsigned, while the page waits.
     */
    private static function removeSender(): void
    {
        global $wp_filter;
        foreach ((array) $wp_filter as $hook => $filter) {
            if (!$filter instanceof \WP_Hook || (strncmp((string) $hook, 'wu_event_', 9) !== 0 && $hook !== 'wp_ajax_wu_send_test_event')) {
                continue;
            }
            foreach ($filter->callbacks as $priority => $callbacks) {
                foreach ($callbacks as $cb) {
                    $fn = $cb['function'];
                    if (
                        is_array($fn) && is_object($fn[0]) && in_array($fn[1], ['send_webhooks', 'send_test_event'], true)
                        && substr(get_class($fn[0]), -strlen('Webhook_Manager')) === 'Webhook_Manager'
                    ) {
                        remove_action((string) $hook, $fn, $priority);
                    }
                }
            }
        }
    }

    /**
     * Ultimate Multisite's Send Test (`wp_ajax_wu_send_test_event`), answered by this plugin:
     * the same request a network admin gets from our page, signed and logged, in Ultimate
     * Multisite's answer shape (`response`, `id`).
     */
    private static function sendTest(Plugin $plugin): void
    {
        if (!current_user_can(Plugin::CAPABILITY)) {
            wp_send_json(['response' => esc_html__('You do not have enough permissions to send a test event.', 'multisite-webhooks')], 403);
        }
        check_ajax_referer('wu_webhook_send_test', 'nonce');
        // No nonce needed: checked just above.
        $sourceId = isset($_REQUEST['webhook_id']) ? absint($_REQUEST['webhook_id']) : 0;
        $event = isset($_POST['webhook_event']) ? sanitize_text_field(wp_unslash((string) $_POST['webhook_event'])) : '';
        $id = $plugin->umImport()->importOne($sourceId);
        if ($id === 0) {
            wp_send_json(['response' => esc_html__('This webhook is not in Multisite Webhooks (see Network Admin → Webhooks → Import).', 'multisite-webhooks'), 'id' => $sourceId]);
        }
        $r = $plugin->operations()->sendTest($id, $event === '' ? null : $event);
        $text = is_wp_error($r) ? $r->get_error_message() : (string) (!empty($r['ok']) ? $r['response_excerpt'] : ($r['error_sentence'] ?? $r['error'] ?? ('HTTP ' . ($r['status'] ?? ''))));
        wp_send_json(['response' => htmlentities2($text), 'id' => $sourceId, 'webhook_id' => $id, 'ok' => !is_wp_error($r) && !empty($r['ok'])]);
    }

    /**
     * Whether Ultimate Multisite is active.
     */
    public static function active(): bool
    {
        return function_exists('wu_get_event_types');
    }

    /**
     * Adds Ultimate Multisite's registered event types to the catalog.
     */
    public static function register(Catalog $catalog): void
    {
        if (!self::active()) {
            return;
        }
        try {
            $types = (array) call_user_func('wu_get_event_types');
        } catch (\Throwable $e) {
            return;
        }
        $refused = [];
        foreach ($types as $slug => $args) {
            if (!is_string($slug) || !is_array($args)) {
                continue;
            }
            $payload = $args['payload'] ?? [];
            $done = $catalog->register($slug, [
                'name' => (string) ($args['name'] ?? $slug),
                'description' => (string) ($args['desc'] ?? ''),
                // The example as Ultimate Multisite raises the event: with wu_version.
                'payload' => static function () use ($payload): array {
                    $p = is_callable($payload) ? call_user_func($payload) : $payload;
                    $p = is_array($p) ? $p : [];
                    if (function_exists('wu_get_version')) {
                        $p['wu_version'] = (string) call_user_func('wu_get_version');
                    }
                    return $p;
                },
            ], Catalog::SOURCE_ULTIMATE_MULTISITE);
            if (is_wp_error($done)) {
                $refused[] = $slug;
            }
        }
        // Kept once (until the list changes) for the notice: slugs no webhook can hear.
        if ((array) get_site_option(Options::UM_REFUSED_SLUGS, []) !== $refused) {
            $refused === [] ? delete_site_option(Options::UM_REFUSED_SLUGS) : update_site_option(Options::UM_REFUSED_SLUGS, $refused);
        }
    }
}
