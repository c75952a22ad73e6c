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
            if (!is_string($slug)) {
                return; // Nothing to name it by.
            }
            if (!is_array($payload)) {
                $plugin->dispatcher()->refuseEvent($slug, 'not_object', sprintf('Ultimate Multisite raised it with a %s payload, not an array', gettype($payload)));
                return;
            }
            $plugin->dispatcher()->emitTrusted($slug, $payload);
        }, 10, 2);
    }

    /** Event slugs Ultimate Multisite 2.4 raises (so a kept subscription can name its source). */
    private const SLUGS = ['payment_received', 'site_published', 'confirm_email_address', 'domain_created', 'renewal_payment_created',
        'invoice_sent', 'payment_failed', 'membership_expired', 'demo_site_expiring', 'checkout_started', 'checkout_step_completed',
        'checkout_completed', 'checkout_failed', 'subsite_post_created', 'subsite_cpt_created', 'subsite_user_registered',
        'subsite_woocommerce_order', 'customer_created', 'customer_updated', 'membership_created', 'membership_updated',
        'payment_created', 'payment_updated'];

    /**
     * Who raises an event that is not registered now: "Ultimate Multisite" for its slugs,
     * else the custom code that registers it.
     */
    public static function sourceOf(string $slug): string
    {
        return in_array($slug, self::SLUGS, true) ? 'Ultimate Multisite' : __('the plugin or code that registers it', 'multisite-webhooks');
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
