<?php
/**
 * Actions on webhooks and deliveries shared by the admin pages, the REST API, WP-CLI and the
 * Ultimate Multisite import: save a webhook, send a test event, redeliver, read the health.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks;

use MultisiteWebhooks\Engine\Engine;
use MultisiteWebhooks\Engine\EngineException;
use MultisiteWebhooks\Store\Deliveries;
use MultisiteWebhooks\Store\Webhooks;

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
     * (default: the webhook's first event), records it in the delivery log as a test (with
     * the exact bytes sent), and returns what happened: ok, status, reason, error, error_kind,
     * duration_ms, request_headers, response_headers, response_excerpt, body, delivery_id.
     *
     * @return array<string, mixed>|\WP_Error
     */
    public function sendTest(int $webhookId, ?string $event = null)
    {
        $hook = $this->plugin->webhooks()->get($webhookId, true);
        if ($hook === null) {
            return self::notFound($webhookId);
        }
        $event = $event ?? (string) ($hook['events'][0] ?? '');
        if ($event === '*') {
            $event = 'site_created';
        }
        if (!$this->plugin->catalog()->has($event)) {
            /* translators: %s: event slug */
            return new \WP_Error('multisite_webhooks_unknown_event', sprintf(__('There is no event called "%s".', 'multisite-webhooks'), $event), ['status' => 400]);
        }
        $engine = $this->plugin->engine();
        if (!$engine->delivers()) {
            return new \WP_Error('multisite_webhooks_degraded', $this->plugin->loader()->reason() . ' ' . $this->plugin->loader()->fix(), ['status' => 503, 'kind' => 'engine_unavailable']);
        }
        $payload = Payload::fromValue($this->plugin->catalog()->example($event));
        if ($payload === null) {
            return new \WP_Error('multisite_webhooks_refused', Messages::kind('invalid_json'), ['status' => 400, 'kind' => 'invalid_json']);
        }
        try {
            $r = $engine->sendTest([
                'endpoint' => ['id' => $webhookId, 'url' => $hook['webhook_url'], 'events' => [$event],
                    'secrets' => Webhooks::activeSecrets($hook['secrets']), 'format' => $hook['payload_format']],
                'event' => $event,
                'payload' => $payload,
            ]);
        } catch (EngineException $e) {
            return self::refusal($e, (string) $hook['webhook_url']);
        }
        $record = $r + [
            'attempt_id' => 'att_test_' . bin2hex(random_bytes(10)),
            'attempt' => 1,
            'test' => true,
            'outcome' => !empty($r['ok']) ? 'delivered' : 'failed',
        ];
        try {
            $this->plugin->deliveries()->record($record);
            $this->plugin->deliveries()->storePayload((string) $r['event_id'], $event, $payload, (int) ($r['started_at'] ?? 0));
            $r['delivery_id'] = $this->deliveryIdOf((string) $record['attempt_id']);
        } catch (\RuntimeException $e) {
            $this->plugin->dispatcher()->noteError($e->getMessage(), 'database');
            $r['delivery_id'] = 0;
        }
        if (!empty($r['error_kind']) && $r['error_kind'] !== 'http_status') {
            $r['error_sentence'] = Messages::kind((string) $r['error_kind'], '', ['address' => $r['address'] ?? '', 'range' => $r['range'] ?? '']);
        }
        return $r;
    }

    private function deliveryIdOf(string $attemptId): int
    {
        global $wpdb;
        return (int) $wpdb->get_var($wpdb->prepare('SELECT id FROM ' . Store\Schema::table('deliveries') . ' WHERE attempt_id = %s', $attemptId)); // phpcs:ignore WordPress.DB.PreparedSQL -- table name only.
    }

    /**
     * What admin pages, the REST API, WP-CLI and the Ultimate Multisite import accept as a
     * webhook: Webhooks::validate() (the engine's URL rule, known or kept events) plus the
     * SSRF guard's verdict on the URL. Where no engine can be asked, the fields carry
     * `url_checked => 0`: the webhook is saved, the admin told, and the first process with an
     * engine judges it (checkUnchecked()).
     *
     * @param array<string, mixed>      $data
     * @param array<string, mixed>|null $existing The webhook being updated, if any.
     * @return array<string, mixed>|\WP_Error Normalised fields, or errors keyed by field.
     */
    public function validateWebhook(array $data, bool $partial, ?array $existing = null)
    {
        $fields = $this->plugin->webhooks()->validate($data, $partial, [$this->plugin->catalog(), 'has'], $existing['events'] ?? []);
        $errors = is_wp_error($fields) ? $fields : new \WP_Error();
        if (!$errors->has_errors() && isset($fields['webhook_url'])) {
            $verdict = $this->urlVerdict((string) $fields['webhook_url']);
            if ($verdict['refusal'] !== null) {
                $errors->add('webhook_url', $verdict['refusal'], ['kind' => $verdict['kind']]);
            } else {
                $fields['url_checked'] = $verdict['checked'] ? 1 : 0;
            }
        }
        return $errors->has_errors() ? $errors : $fields;
    }

    /**
     * Creates (`$id` null) or updates a webhook: the one save path of every surface.
     * Returns `id`, `secret` (on create: shown once), `url_checked`, or the errors by field.
     *
     * @param array<string, mixed> $data
     * @return array{id:int, secret:?string, url_checked:bool}|\WP_Error
     */
    public function saveWebhook(?int $id, array $data)
    {
        $existing = null;
        if ($id !== null) {
            $existing = $this->plugin->webhooks()->get($id);
            if ($existing === null) {
                return self::notFound($id);
            }
        }
        // Turning on a webhook whose address was refused, or never judged, asks again.
        $turnsOn = array_key_exists('active', $data) && filter_var($data['active'], FILTER_VALIDATE_BOOLEAN);
        if ($existing !== null && $turnsOn && !array_key_exists('webhook_url', $data)
            && (!$existing['url_checked'] || in_array($existing['disabled_kind'], ['ssrf_refused', 'invalid_url'], true))) {
            $data['webhook_url'] = $existing['webhook_url'];
        }
        $fields = $this->validateWebhook($data, $id !== null, $existing);
        if (is_wp_error($fields)) {
            return $fields;
        }
        if ($id === null) {
            $created = $this->plugin->webhooks()->create($fields);
            return ['id' => $created['id'], 'secret' => $created['secret'], 'url_checked' => (bool) ($fields['url_checked'] ?? 1)];
        }
        $this->plugin->webhooks()->update($id, $fields);
        return ['id' => $id, 'secret' => null, 'url_checked' => (bool) ($fields['url_checked'] ?? $existing['url_checked'])];
    }

    /**
     * Why the engine's SSRF guard refuses `$url` as a translated sentence, or null (also when
     * it cannot tell: no engine in this process, or the name does not resolve right now).
     */
    public function urlRefusal(string $url): ?string
    {
        return $this->urlVerdict($url)['refusal'];
    }

    /**
     * The engine's verdict on a URL: `refusal` (a sentence, or null), its `kind`, and whether
     * an engine judged it at all (`checked`).
     *
     * @return array{refusal:?string, kind:string, checked:bool, detail:string}
     */
    private function urlVerdict(string $url): array
    {
        try {
            $check = $this->plugin->engine()->checkUrl($url);
        } catch (EngineException $e) {
            if ($e->isTransient()) {
                // The engine could not judge it now: not a refusal; judged again later.
                return ['refusal' => null, 'kind' => 'unchecked', 'checked' => false, 'detail' => $e->getMessage()];
            }
            return ['refusal' => Messages::kind($e->kind(), '', ['code' => UrlRule::check($url) ?? '']), 'kind' => $e->kind(), 'checked' => true, 'detail' => $e->getMessage()];
        }
        $kind = (string) ($check['kind'] ?? '');
        if (($check['ok'] ?? null) === false) {
            return ['refusal' => Messages::kind($kind ?: 'ssrf_refused', (string) ($check['reason'] ?? ''), $check), 'kind' => $kind ?: 'ssrf_refused',
                'checked' => true, 'detail' => (string) ($check['reason'] ?? '')];
        }
        return ['refusal' => null, 'kind' => $kind, 'checked' => $kind !== 'unchecked', 'detail' => ''];
    }

    /**
     * Judges the webhooks saved where no engine could (`url_checked` 0) with this engine: one
     * its guard refuses is turned off with the reason; the others are marked checked.
     * Returns how many were turned off.
     */
    public function checkUnchecked(Engine $engine): int
    {
        if (!$engine->delivers()) {
            return 0;
        }
        $off = 0;
        foreach ($this->plugin->webhooks()->unchecked() as $hook) {
            $verdict = $this->urlVerdict((string) $hook['webhook_url']);
            if ($verdict['refusal'] !== null) {
                $this->plugin->webhooks()->markDisabled((int) $hook['id'], $verdict['refusal'], $verdict['kind']);
                $off++;
            }
            if ($verdict['checked']) {
                $this->plugin->webhooks()->markChecked((int) $hook['id']);
            }
        }
        return $off;
    }

    /**
     * Queues the event of a logged attempt for delivery again to its webhook (same
     * `webhook-id`, the stored bytes). Test sends and refused events are not redelivered.
     *
     * @return true|\WP_Error
     */
    public function redeliver(int $deliveryId)
    {
        $d = $this->plugin->deliveries()->get($deliveryId);
        if ($d === null) {
            /* translators: %d: delivery id */
            return new \WP_Error('multisite_webhooks_not_found', sprintf(__('There is no delivery %d.', 'multisite-webhooks'), $deliveryId), ['status' => 404]);
        }
        if ($d['is_test']) {
            return new \WP_Error('multisite_webhooks_test_send', __('Test sends are not redelivered; use Send Test Event again.', 'multisite-webhooks'), ['status' => 409]);
        }
        if ($d['outcome'] === Deliveries::REFUSED) {
            return new \WP_Error('multisite_webhooks_refused_event', __('This event was refused when it was raised; there is nothing to send again.', 'multisite-webhooks'), ['status' => 409]);
        }
        if ($this->plugin->webhooks()->get((int) $d['webhook_id']) === null) {
            return new \WP_Error('multisite_webhooks_not_found', __('The webhook of this delivery was deleted.', 'multisite-webhooks'), ['status' => 404]);
        }
        $payload = $this->plugin->deliveries()->payload((string) $d['event_id']);
        if ($payload === null) {
            return new \WP_Error('multisite_webhooks_no_payload', __('The payload of this event is no longer kept (older than the retention period).', 'multisite-webhooks'), ['status' => 410]);
        }
        $engine = $this->plugin->engine();
        if (!$engine->delivers()) {
            return new \WP_Error('multisite_webhooks_degraded', $this->plugin->loader()->reason(), ['status' => 503, 'kind' => 'engine_unavailable']);
        }
        try {
            $this->plugin->dispatcher()->sync($engine, true);
            $engine->redeliver(['event_id' => (string) $d['event_id'], 'endpoint_id' => (int) $d['webhook_id'], 'event' => (string) $d['event'], 'payload' => $payload]);
        } catch (EngineException $e) {
            return self::refusal($e);
        }
        return true;
    }

    /**
     * "Redeliver all failed": queues again every event that failed for good and was not
     * delivered since (tests excluded), once per event and webhook, matching `$filters`
     * (webhook_id, event, since, until). Returns how many were queued, those whose webhook
     * is gone, and the problems by delivery id.
     *
     * @param array<string, mixed> $filters
     * @return array{queued:int, skipped:int, problems:array<int, string>, total:int}
     */
    public function redeliverFailed(array $filters, int $max = 1000): array
    {
        $out = ['queued' => 0, 'skipped' => 0, 'problems' => [], 'total' => 0];
        foreach ($this->plugin->deliveries()->failedForGood($filters, $max) as $id) {
            $out['total']++;
            $r = $this->redeliver($id);
            if ($r === true) {
                $out['queued']++;
            } elseif ($r->get_error_code() === 'multisite_webhooks_not_found') {
                $out['skipped']++;
            } else {
                $out['problems'][$id] = $r->get_error_message();
            }
        }
        return $out;
    }

    private static function notFound(int $id): \WP_Error
    {
        /* translators: %d: webhook id */
        return new \WP_Error('multisite_webhooks_not_found', sprintf(__('There is no webhook %d.', 'multisite-webhooks'), $id), ['status' => 404]);
    }

    private static function refusal(EngineException $e, string $url = ''): \WP_Error
    {
        return new \WP_Error('multisite_webhooks_refused', Messages::kind($e->kind(), $e->getMessage(), ['code' => UrlRule::check($url) ?? '']),
            ['status' => $e->isTransient() ? 503 : 400, 'kind' => $e->kind()]);
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
        if ($engine->delivers()) {
            try {
                $out['library_version'] = $engine->version();
                $out['stats'] = $engine->stats();
            } catch (EngineException $e) {
                $out['reason'] = Messages::kind($e->kind(), $e->getMessage());
            }
        }
        $out['rejected'] = (array) get_site_option(Dispatcher::REJECTED, []);
        $out['refused_24h'] = $this->plugin->deliveries()->refusedSince(time() - DAY_IN_SECONDS);
        $out['unchecked'] = count($this->plugin->webhooks()->unchecked());
        return $out;
    }
}
