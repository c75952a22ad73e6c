<?php
/**
 * The admin pages' AJAX endpoint: Send Test Event.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Admin;

use MultisiteWebhooks\Plugin;

/**
 * admin-ajax.php actions. Each checks the capability first (a refused caller learns nothing)
 * and then the nonce.
 */
final class Ajax
{
    /** Nonce action shared by the admin pages' AJAX requests. */
    public const NONCE = 'multisite_webhooks_ajax';

    /** The Send Test Event action. */
    public const SEND_TEST = 'multisite_webhooks_send_test';

    private Plugin $plugin;

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
    }

    /**
     * Hooks the actions (logged-in users only; anonymous callers get WordPress's own 0/400).
     */
    public function attach(): void
    {
        add_action('wp_ajax_' . self::SEND_TEST, [$this, 'sendTest']);
    }

    /**
     * Refuses with a JSON error unless the caller is a network admin with a valid nonce.
     */
    private static function guard(): void
    {
        if (!current_user_can(Plugin::CAPABILITY)) {
            wp_send_json_error(['message' => __('Only network administrators can send test events.', 'multisite-webhooks')], 403);
        }
        if (!check_ajax_referer(self::NONCE, '_ajax_nonce', false)) {
            wp_send_json_error(['message' => __('This page has expired. Reload it and try again.', 'multisite-webhooks')], 403);
        }
    }

    /**
     * POST webhook_id, event (optional: default the webhook's first event): sends one signed
     * request now with the event's example payload to the webhook's stored URL, and answers
     * what happened.
     */
    public function sendTest(): void
    {
        self::guard();
        // No nonce needed: guard() checked the nonce.
        $id = isset($_POST['webhook_id']) ? absint($_POST['webhook_id']) : 0;
        $event = isset($_POST['event']) ? sanitize_text_field(wp_unslash((string) $_POST['event'])) : '';
        $result = $this->plugin->operations()->sendTest($id, $event === '' ? null : $event);
        if (is_wp_error($result)) {
            $data = (array) $result->get_error_data();
            wp_send_json_error(['message' => $result->get_error_message()], (int) ($data['status'] ?? 400));
        }
        $hook = $this->plugin->webhooks()->get($id);
        wp_send_json_success([
            'ok' => !empty($result['ok']),
            'event' => (string) ($result['event'] ?? ''),
            'url' => (string) ($hook['webhook_url'] ?? ''),
            'status' => isset($result['status']) ? (int) $result['status'] : null,
            'reason' => (string) ($result['reason'] ?? ''),
            'error' => (string) ($result['error'] ?? ''),
            'error_kind' => (string) ($result['error_kind'] ?? ''),
            'error_sentence' => (string) ($result['error_sentence'] ?? ''),
            'duration_ms' => (int) ($result['duration_ms'] ?? 0),
            'request_headers' => (object) ($result['request_headers'] ?? []),
            'response_headers' => (object) ($result['response_headers'] ?? []),
            'response_excerpt' => (string) ($result['response_excerpt'] ?? ''),
            'payload' => (string) ($result['body'] ?? ''),
            'log_url' => empty($result['delivery_id']) ? '' : Admin::url(Admin::PAGE_LOG, ['delivery' => (int) $result['delivery_id']]),
        ]);
    }
}
