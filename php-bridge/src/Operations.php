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
use MultisiteWebhooks\Engine\Loader;
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
            // The worker sends it and logs it; the answer is worded here, in this admin's language.
            $r = $this->handOver('send_test', ['webhook_id' => $webhookId, 'event' => $event], Settings::engine()['request_timeout_ms'] / 1000 + 5);
            return is_array($r) ? self::withSentence($r) : $r;
        }
        $payload = Payload::fromValue($this->plugin->catalog()->example($event));
        if ($payload === null) {
            return new \WP_Error('multisite_webhooks_refused', Messages::kind('invalid_json'), ['status' => 400, 'kind' => 'invalid_json']);
        }
        try {
            $r = $engine->sendTest([
                'endpoint' => ['id' => $webhookId, 'url' => $hook['webhook_url'], 'events' => [$event], 'headers' => (object) $hook['headers'],
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
            $this->plugin->emitter()->noteError($e->getMessage(), 'database');
            $r['delivery_id'] = 0;
        }
        if (isset($r['url'])) {
            $r['url'] = MaskedUrl::of((string) $r['url']);
        }
        return self::withSentence($r);
    }

    /**
     * @param array<string, mixed> $r A test send's result.
     * @return array<string, mixed> With `error_sentence` when it failed before an HTTP status.
     */
    private static function withSentence(array $r): array
    {
        unset($r['error_sentence']);
        if (!empty($r['error_kind']) && $r['error_kind'] !== 'http_status') {
            $r['error_sentence'] = Messages::kind((string) $r['error_kind'], '', ['address' => $r['address'] ?? '', 'range' => $r['range'] ?? '']);
        }
        return $r;
    }

    private function deliveryIdOf(string $attemptId): int
    {
        global $wpdb;
        return (int) $wpdb->get_var($wpdb->prepare('SELECT id FROM ' . Store\Schema::table('deliveries') . ' WHERE attempt_id = %s', $attemptId)); // SQL safe: table name only.
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
            $existing = $this->plugin->webhooks()->get($id, true);
            if ($existing === null) {
                return self::notFound($id);
            }
            // What a reader was shown masked, written back, is what is stored.
            $data = Webhooks::unmask($data, $existing);
        }
        // Turning on a webhook whose address was refused, or never judged, asks again.
        $turnsOn = array_key_exists('active', $data) && filter_var($data['active'], FILTER_VALIDATE_BOOLEAN);
        if (
            $existing !== null && $turnsOn && !array_key_exists('webhook_url', $data)
            && (!$existing['url_checked'] || in_array($existing['disabled_kind'], ['ssrf_refused', 'invalid_url'], true))
        ) {
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
            $check = $this->checkUrl($url);
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
     * The engine's check of a URL: in this process, or by the delivery worker when this one
     * has no engine (unchecked when neither can answer now).
     *
     * @return array<string, mixed>
     *
     * @throws EngineException When the engine refuses the URL outright.
     */
    private function checkUrl(string $url): array
    {
        $engine = $this->plugin->engine();
        if ($engine->delivers() || $this->plugin->jobs()->worker() === null) {
            return $engine->checkUrl($url);
        }
        $r = $this->handOver('check_url', ['url' => $url], 5.0);
        if (!is_array($r)) {
            return ['ok' => null, 'kind' => 'unchecked', 'reason' => is_wp_error($r) ? $r->get_error_message() : ''];
        }
        if (isset($r['exception'])) {
            throw new EngineException((int) $r['exception']['status'], (string) $r['exception']['message'], null, (string) $r['exception']['kind']);
        }
        return $r;
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
        $webhook = $this->plugin->webhooks()->get((int) $d['webhook_id']);
        if ($webhook === null) {
            return new \WP_Error('multisite_webhooks_not_found', __('The webhook of this delivery was deleted.', 'multisite-webhooks'), ['status' => 404]);
        }
        $payload = $this->plugin->deliveries()->payload((string) $d['event_id']);
        if ($payload === null) {
            return new \WP_Error('multisite_webhooks_no_payload', __('The payload of this event is no longer kept (older than the retention period).', 'multisite-webhooks'), ['status' => 410]);
        }
        $engine = $this->plugin->engine();
        if (!$engine->delivers()) {
            $r = $this->handOver('redeliver', ['delivery_id' => $deliveryId], 10.0);
            return is_wp_error($r) ? $r : true;
        }
        try {
            $this->plugin->emitter()->sync($engine, true);
            // The payload the webhook got the first time: the stored event through the payload filter.
            $payload = $this->plugin->emitter()->payloadFor($webhook, (string) $d['event'], $payload);
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
     * @return array{queued:int, skipped:int, problems:array<int, string>, total:int, queued_ids:list<int>}
     */
    public function redeliverFailed(array $filters, int $max = 1000): array
    {
        $out = ['queued' => 0, 'skipped' => 0, 'problems' => [], 'total' => 0, 'queued_ids' => []];
        if (!$this->plugin->engine()->delivers()) {
            $r = $this->handOver('redeliver_failed', ['filters' => $filters, 'max' => $max], 30.0);
            return is_array($r) ? $r + $out : ['problems' => [0 => $r->get_error_message()], 'total' => 1] + $out;
        }
        foreach ($this->plugin->deliveries()->failedForGood($filters, $max) as $id) {
            $out['total']++;
            $r = $this->redeliver($id);
            if ($r === true) {
                $out['queued']++;
                $out['queued_ids'][] = $id;
            } elseif ($r->get_error_code() === 'multisite_webhooks_not_found') {
                $out['skipped']++;
            } else {
                $out['problems'][$id] = $r->get_error_message();
            }
        }
        return $out;
    }

    /**
     * The deliveries emitted events are given to: one target per event and listening webhook.
     *
     * @param list<array{0:string,1:string,2?:list<int>}> $events [event id, slug, and for an
     *                                                      event given to some webhooks only, their ids]
     * @return list<array{event_id:string, webhook_id:int, name:string, after:int}>
     */
    public function targetsOf(array $events): array
    {
        $targets = [];
        $rejected = array_map('intval', array_keys((array) get_site_option(Options::REJECTED, [])));
        $bySlug = [];
        foreach ($events as $e) {
            [$id, $slug] = $e;
            $bySlug[$slug] ??= $this->plugin->webhooks()->listeners($slug, $rejected);
            foreach ($bySlug[$slug] as $hook) {
                if (isset($e[2]) && !in_array($hook['id'], $e[2], true)) {
                    continue; // Vetoed by the multisite_webhooks_should_deliver filter.
                }
                $targets[] = ['event_id' => $id, 'webhook_id' => $hook['id'], 'name' => $hook['name'], 'after' => 0];
            }
        }
        return $targets;
    }

    /**
     * Waits until each target — an event to one webhook — has an attempt logged (after the
     * entry `after`), or `$seconds` pass; results are imported meanwhile. Only these
     * deliveries are waited for, never the rest of the queue. Returns each target with its
     * newest attempt (`attempt`: Deliveries::shape(), or null: not attempted yet).
     *
     * @param list<array{event_id:string, webhook_id:int, after:int}> $targets
     * @return list<array<string, mixed>>
     */
    public function awaitDeliveries(array $targets, float $seconds): array
    {
        $end = microtime(true) + $seconds;
        $engine = $this->plugin->engine();
        foreach ($targets as $i => $t) {
            $targets[$i]['attempt'] = null;
        }
        while ($targets !== []) {
            if ($engine->delivers()) {
                $engine->flush(0); // leads if nobody does, so they are sent at all
                $this->plugin->importer()->run(0.5);
            }
            $waiting = 0;
            foreach ($targets as $i => $t) {
                if ($t['attempt'] === null) {
                    $targets[$i]['attempt'] = $this->plugin->deliveries()->latestAttempt((string) $t['event_id'], (int) $t['webhook_id'], (int) $t['after']);
                    $waiting += $targets[$i]['attempt'] === null ? 1 : 0;
                }
            }
            if ($waiting === 0 || microtime(true) >= $end) {
                break;
            }
            usleep(50000);
        }
        return $targets;
    }

    /**
     * Runs the jobs web requests without the engine handed over (this process has one), for
     * up to `$seconds`; returns how many ran.
     */
    public function runJobs(float $seconds = 1.0): int
    {
        if (!$this->plugin->engine()->delivers()) {
            return 0;
        }
        $end = microtime(true) + $seconds;
        $ran = 0;
        while (microtime(true) < $end && ($job = $this->plugin->jobs()->claim()) !== null) {
            try {
                $result = $this->runJob($job['kind'], $job['request']);
            } catch (\Throwable $e) {
                $result = new \WP_Error('multisite_webhooks_internal', $e->getMessage(), ['status' => 500]);
            }
            $this->plugin->jobs()->finish($job['id'], is_wp_error($result)
                ? ['error' => ['code' => $result->get_error_code(), 'message' => $result->get_error_message(), 'data' => $result->get_error_data()]]
                : ['value' => $result]);
            $ran++;
        }
        return $ran;
    }

    /**
     * @param array<string, mixed> $r
     * @return mixed|\WP_Error
     */
    private function runJob(string $kind, array $r)
    {
        switch ($kind) {
            case 'send_test':
                return $this->sendTest((int) ($r['webhook_id'] ?? 0), isset($r['event']) ? (string) $r['event'] : null);
            case 'redeliver':
                return $this->redeliver((int) ($r['delivery_id'] ?? 0));
            case 'redeliver_failed':
                return $this->redeliverFailed((array) ($r['filters'] ?? []), (int) ($r['max'] ?? 1000));
            case 'check_url':
                try {
                    return $this->plugin->engine()->checkUrl((string) ($r['url'] ?? ''));
                } catch (EngineException $e) {
                    return ['exception' => ['status' => $e->getCode(), 'message' => $e->getMessage(), 'kind' => $e->kind()]];
                }
        }
        /* translators: %s: job kind */
        return new \WP_Error('multisite_webhooks_unknown_job', sprintf(__('There is no job called "%s".', 'multisite-webhooks'), $kind), ['status' => 400]);
    }

    /**
     * Hands a job to the process that has the engine (the delivery worker) and waits up to
     * `$seconds` for its answer: what the job returned, or why there is none.
     *
     * @param array<string, mixed> $request
     * @return mixed|\WP_Error
     */
    private function handOver(string $kind, array $request, float $seconds)
    {
        $jobs = $this->plugin->jobs();
        $worker = $jobs->worker();
        if ($worker === null) {
            return $this->noWorker();
        }
        $limit = (int) ini_get('max_execution_time');
        if ($limit > 0) {
            $seconds = max(1.0, min($seconds, $limit - 3 - (microtime(true) - (float) ($_SERVER['REQUEST_TIME_FLOAT'] ?? microtime(true)))));
        }
        $id = $jobs->add($kind, $request);
        if ($id === 0) {
            return new \WP_Error('multisite_webhooks_database', __('The database did not accept the job for the delivery worker.', 'multisite-webhooks'), ['status' => 503, 'kind' => 'database']);
        }
        $end = microtime(true) + $seconds;
        do {
            usleep(50000);
            $answer = $jobs->answer($id);
            if ($answer !== null) {
                if (isset($answer['error'])) {
                    $e = (array) $answer['error'];
                    return new \WP_Error((string) ($e['code'] ?? 'multisite_webhooks_error'), (string) ($e['message'] ?? ''), $e['data'] ?? null);
                }
                return $answer['value'] ?? null;
            }
        } while (microtime(true) < $end);
        $where = sprintf('%d@%s', (int) $worker['pid'], (string) $worker['host']);
        if ($jobs->withdraw($id)) {
            return new \WP_Error('multisite_webhooks_worker_silent', sprintf(
                /* translators: 1: process id@host, 2: seconds */
                __('The delivery worker (%1$s) did not take the job within %2$d seconds; nothing was done. Check it with `wp webhook worker --verbose` or its service log.', 'multisite-webhooks'),
                $where,
                (int) round($seconds)
            ), ['status' => 504, 'kind' => 'worker_silent']);
        }
        return new \WP_Error('multisite_webhooks_worker_slow', sprintf(
            /* translators: 1: process id@host, 2: seconds */
            __('The delivery worker (%1$s) took the job but did not finish within %2$d seconds; its result will be in the delivery log.', 'multisite-webhooks'),
            $where,
            (int) round($seconds)
        ), ['status' => 504, 'kind' => 'worker_slow']);
    }

    /**
     * Why a job that needs the engine cannot be done from this request, and the fixes.
     */
    private function noWorker(): \WP_Error
    {
        $loader = $this->plugin->loader();
        return new \WP_Error(
            'multisite_webhooks_degraded',
            sprintf(
                /* translators: %1$s: why this PHP has no engine */
                __('This page was served by a PHP that cannot load the delivery engine (%1$s), and no delivery worker is running to do it instead.', 'multisite-webhooks')
                /* translators: %2$s: command that starts the worker, %3$s: systemd unit file, %4$s: the pool fix */
                . ' ' . __('Start one: %2$s (or install %3$s), or let this PHP load the engine: %4$s', 'multisite-webhooks'),
                rtrim($loader->reason(), '.'),
                self::workerCommand(),
                $this->plugin->dir() . '/contrib/multisite-webhooks-worker.service',
                $loader->fix()
            ),
            ['status' => 503, 'kind' => 'engine_unavailable']
        );
    }

    /**
     * The command that starts the delivery worker as this PHP's user, for this install.
     */
    public static function workerCommand(): string
    {
        $user = function_exists('posix_geteuid') && function_exists('posix_getpwuid') ? (string) (posix_getpwuid(posix_geteuid())['name'] ?? '') : '';
        return sprintf('%swp --path=%s webhook worker', $user !== '' && $user !== 'root' ? 'sudo -u ' . $user . ' -- ' : '', rtrim(ABSPATH, '/'));
    }

    /**
     * Which path delivers the network's events now: `worker` (the delivery worker), `ffi` or
     * `preload` (PHP of this pool), `cron` (a system cron with WP-CLI), `other` (another PHP
     * with the engine, e.g. a second pool) or `nothing` — with a sentence saying so.
     *
     * @return array{kind:string, detail:string}
     */
    public function deliveryPath(): array
    {
        $worker = $this->plugin->jobs()->worker();
        if ($worker !== null) {
            return ['kind' => 'worker', 'detail' => sprintf(
                /* translators: 1: process id, 2: host, 3: user, 4: how long ago it started */
                __('the delivery worker (process %1$d on %2$s, as %3$s, started %4$s ago); web requests only queue events and hand it test sends and redeliveries.', 'multisite-webhooks'),
                (int) $worker['pid'],
                (string) $worker['host'],
                (string) $worker['user'],
                human_time_diff((int) $worker['started'])
            )];
        }
        $mode = $this->plugin->loader()->mode();
        if ($this->plugin->engine()->delivers()) {
            return ['kind' => $mode, 'detail' => $mode === Loader::MODE_PRELOAD
                ? __('PHP of this pool, with the engine preloaded: page views, WP-Cron and WP-CLI deliver; no delivery worker runs.', 'multisite-webhooks')
                : __('PHP of this pool, through FFI: page views, WP-Cron and WP-CLI deliver; no delivery worker runs.', 'multisite-webhooks')];
        }
        $last = (array) get_site_option(Options::LAST_TICK, []);
        $ago = time() - (int) ($last['time'] ?? 0);
        if ($ago <= 3 * MINUTE_IN_SECONDS) {
            $cli = ($last['sapi'] ?? '') === 'cli';
            return ['kind' => $cli ? 'cron' : 'other', 'detail' => sprintf(
                $cli
                /* translators: %s: how long ago */
                ? __(
                    'WP-CLI (a system cron), which last ran %s ago: this PHP cannot load the engine, so events wait up to a minute in the outbox and test sends need the delivery worker.',
                    'multisite-webhooks'
                )
                /* translators: %s: how long ago */
                : __('another PHP with the engine (another pool or server), which last ran %s ago: this PHP cannot load the engine, so events wait in the outbox for it.', 'multisite-webhooks'),
                human_time_diff(time() - max(1, $ago))
            )];
        }
        return ['kind' => 'nothing', 'detail' => sprintf(
            /* translators: %s: command */
            __('nothing: this PHP cannot load the engine and no process with it ran in the last 3 minutes, so events wait in the outbox. Start the delivery worker: %s', 'multisite-webhooks'),
            self::workerCommand()
        )];
    }

    private static function notFound(int $id): \WP_Error
    {
        /* translators: %d: webhook id */
        return new \WP_Error('multisite_webhooks_not_found', sprintf(__('There is no webhook %d.', 'multisite-webhooks'), $id), ['status' => 404]);
    }

    private static function refusal(EngineException $e, string $url = ''): \WP_Error
    {
        return new \WP_Error(
            'multisite_webhooks_refused',
            Messages::kind($e->kind(), $e->getMessage(), ['code' => UrlRule::check($url) ?? '']),
            ['status' => $e->isTransient() ? 503 : 400, 'kind' => $e->kind()]
        );
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
        $out['path'] = $this->deliveryPath();
        $out['spool_served'] = SpoolExposure::verdict($out['spool_dir']);
        $out['outbox_age'] = $out['outbox'] > 0 ? $this->plugin->outbox()->oldestAge() : 0;
        $out['rejected'] = (array) get_site_option(Options::REJECTED, []);
        $out['refused_24h'] = $this->plugin->deliveries()->refusedSince(time() - DAY_IN_SECONDS);
        $out['unchecked'] = count($this->plugin->webhooks()->unchecked());
        return $out;
    }
}
