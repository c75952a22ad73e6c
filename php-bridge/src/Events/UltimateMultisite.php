<?php
/**
 * Ultimate Multisite: its events flow through this plugin unchanged, and its event types
 * join the catalog.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Events;

use MultisiteWebhooks\Plugin;

/**
 * Bridge to Ultimate Multisite's event system (`wu_event` action, `wu_get_event_types()`).
 */
final class UltimateMultisite
{
    /**
     * Forwards every event Ultimate Multisite raises.
     */
    public static function attach(Plugin $plugin): void
    {
        add_action('wu_event', static function ($slug, $payload = []) use ($plugin): void {
            if (!is_string($slug) || !is_array($payload)) {
                return;
            }
            $plugin->dispatcher()->emitTrusted($slug, $payload);
        }, 10, 2);
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
        foreach ($types as $slug => $args) {
            if (!is_string($slug) || !is_array($args)) {
                continue;
            }
            $catalog->register($slug, [
                'name' => (string) ($args['name'] ?? $slug),
                'description' => (string) ($args['desc'] ?? ''),
                'payload' => $args['payload'] ?? [],
            ], Catalog::SOURCE_ULTIMATE_MULTISITE);
        }
    }
}
