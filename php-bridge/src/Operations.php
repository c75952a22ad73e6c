<?php
/**
 * Actions on webhooks and deliveries shared by the admin pages, the REST API and WP-CLI:
 * send a test event, redeliver attempts, read the engine's health.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks;

use MultisiteWebhooks\Engine\EngineException;

/**
 * One place for what every surface can do, so they behave the same.
 */
final class Operations
{
    private Plugin $plugin;

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
    }

    /**
     * Sends one real, signed request to a webhook now, with the example payload of `$event`
     * (default: the webhook's first event), records it in the delivery log as a test, and
     * returns what happened: ok, status, reason, error, duration_ms, request_headers,
     * response_headers, response_excerpt, body, delivery_id.
     *
     * @return array<string, mixed>|\WP_Error
     */
    public function sendTest(int $webhookId, ?string $event = null)
    {
        $hook = $this->plugin->webhooks()->get($webhookId, true);
        if ($hook === null) {
            return new \WP_Error('multisite_webhooks_not_found', sprintf(__('There is no webhook %d.', 'multisite-webhooks'), $webhookId), ['status' => 404]);
        }
        $event = $event ?? (string) ($hook['events'][0] ?? '');
        if ($event === '*') {
            $event = 'site_created';
        }
        if (!$this->plugin->catalog()->has($event)) {
            return new \WP_Error('multisite_webhooks_unknown_event', sprintf(__('There is no event called "%s".', 'multisite-webhooks'), $event), ['status' => 400]);
        }
        $engine = $this->plugin->engine();
        if ($engine === null) {
            return new \WP_Error('multisite_webhooks_degraded', $this->plugin->loader()->reason() . ' ' . $this->plugin->loader()->fix(), ['status' => 503]);
        }
        $secrets = [];
        foreach ($hook['secrets'] as $s) {
            if (!empty($s['secret']) && (empty($s['expires']) || (int) $s['expires'] > time())) {
                $secrets[] = (string) $s['secret'];
            }
        }
        $payload = $this->plugin->catalog()->example($event);
        try {
            $r = $engine->sendTest([
                'endpoint' => ['id' => $webhookId, 'url' => $hook['webhook_url'], 'events' => [$event], 'secrets' => $secrets,
                    'format' => $hook['payload_format']],
                'event' => $event,
                'payload' => $payload === [] ? new \stdClass() : $payload,
            ]);
        } catch (EngineException $e) {
            return new \WP_Error('multisite_webhooks_refused', $e->getMessage(), ['status' => 400]);
        }
        $record = $r + [
            'attempt_id' => 'att_test_' . bin2hex(random_bytes(10)),
            'attempt' => 1,
            'test' => true,
            'outcome' => !empty($r['ok']) ? 'delivered' : 'failed',
        ];
        $this->plugin->deliveries()->record($record);
        $this->plugin->deliveries()->storePayload((string) $r['event_id'], $event,
            (string) wp_json_encode($payload === [] ? new \stdClass() : $payload, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), (int) ($r['started_at'] ?? 0));
        $r['delivery_id'] = $this->deliveryIdOf((string) $record['attempt_id']);
        return $r;
    }

    private function deliveryIdOf(string $attemptId): int
    {
        global $wpdb;
        return (int) $wpdb->get_var($wpdb->prepare('SELECT id FROM ' . Store\Schema::table('deliveries') . ' WHERE attempt_id = %s', $attemptId)); // phpcs:ignore WordPress.DB.PreparedSQL -- table name only.
    }

    /**
     * Webhooks::validate() plus the SSRF guard's verdict on the URL: what the admin pages, the
     * REST API and WP-CLI accept as a webhook.
     *
     * @param array<string, mixed> $data
     * @return array<string, mixed>|\WP_Error Normalised fields, or errors keyed by field.
     */
    public function validateWebhook(array $data, bool $partial)
    {
        $fields = $this->plugin->webhooks()->validate($data, $partial, [$this->plugin->catalog(), 'has']);
        $errors = is_wp_error($fields) ? $fields : new \WP_Error();
        if (isset($data['webhook_url']) && !$errors->get_error_messages('webhook_url')) {
            $refusal = $this->urlRefusal(trim((string) $data['webhook_url']));
            if ($refusal !== null) {
                $errors->add('webhook_url', $refusal);
            }
        }
        return $errors->has_errors() ? $errors : $fields;
    }

    /**
     * Why the engine's SSRF guard would refuse `$url`, in plain words, or null (also when it
     * cannot tell: no engine in this process, or the name does not resolve right now).
     */
    public function urlRefusal(string $url): ?string
    {
        $engine = $this->plugin->engine();
        if ($engine === null) {
            return null; // Judged when delivered; the health panel shows why there is no engine.
        }
        try {
            $check = $engine->checkUrl($url);
        } catch (EngineException $e) {
            return $e->getMessage();
        }
        if (($check['ok'] ?? null) !== false) {
            return null;
        }
        $reason = (string) ($check['reason'] ?? '');
        // The engine says e.g. "ssrf: refused 10.1.2.3 (private, RFC 1918); add it to ssrf_allow ...".
        if (preg_match('/refused (\S+) \(([^)]*)\)/', $reason, $m)) {
            $reason = $m[1] . ' (' . $m[2] . ')';
        }
        return sprintf(
            /* translators: %s: the refused address and its kind, e.g. "169.254.169.254 (link-local)" */
            __('Requests to this address are refused because it is not on the public internet: %s. If the receiver really runs inside your network, add its address to the MULTISITE_WEBHOOKS_SSRF_ALLOW constant in wp-config.php.', 'multisite-webhooks'),
            $reason);
    }

    /**
     * Queues the event of a logged attempt for delivery again to its webhook (same
     * `webhook-id`). Returns true, or why not.
     *
     * @return true|\WP_Error
     */
    public function redeliver(int $deliveryId)
    {
        $d = $this->plugin->deliveries()->get($deliveryId);
        if ($d === null) {
            return new \WP_Error('multisite_webhooks_not_found', sprintf(__('There is no delivery %d.', 'multisite-webhooks'), $deliveryId), ['status' => 404]);
        }
        if ($this->plugin->webhooks()->get((int) $d['webhook_id']) === null) {
            return new \WP_Error('multisite_webhooks_not_found', __('The webhook of this delivery was deleted.', 'multisite-webhooks'), ['status' => 404]);
        }
        $payload = $this->plugin->deliveries()->payload((string) $d['event_id']);
        if ($payload === null) {
            return new \WP_Error('multisite_webhooks_no_payload', __('The payload of this event is no longer kept (older than the retention period).', 'multisite-webhooks'), ['status' => 410]);
        }
        $engine = $this->plugin->engine();
        if ($engine === null) {
            return new \WP_Error('multisite_webhooks_degraded', $this->plugin->loader()->reason(), ['status' => 503]);
        }
        try {
            $this->plugin->dispatcher()->sync($engine, true);
            $engine->redeliver(['event_id' => (string) $d['event_id'], 'endpoint_id' => (int) $d['webhook_id'], 'event' => (string) $d['event'], 'payload' => $payload]);
        } catch (EngineException $e) {
            return new \WP_Error('multisite_webhooks_refused', $e->getMessage(), ['status' => 400]);
        }
        return true;
    }

    /**
     * The engine's health: mode, reason and fix when degraded, library version, queue figures.
     *
     * @return array<string, mixed>
     */
    public function health(): array
    {
        $loader = $this->plugin->loader();
        $engine = $this->plugin->engine();
        $out = [
            'mode' => $loader->mode(),
            'reason' => $loader->reason(),
            'fix' => $loader->fix(),
            'plugin_version' => Plugin::VERSION,
            'library' => $loader->libraryPath(),
            'library_version' => null,
            'spool_dir' => Settings::spoolDir(),
            'outbox' => $this->plugin->outbox()->count(),
            'stats' => null,
        ];
        if ($engine !== null) {
            try {
                $out['library_version'] = $engine->version();
                $out['stats'] = $engine->stats();
            } catch (EngineException $e) {
                $out['reason'] = $e->getMessage();
            }
        }
        return $out;
    }
}
