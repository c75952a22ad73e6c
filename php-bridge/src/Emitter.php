<?php
/**
 * Where events go: to the engine when this process can reach it, else to the outbox.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks;

use MultisiteWebhooks\Engine\Engine;
use MultisiteWebhooks\Engine\EngineException;
use MultisiteWebhooks\Events\Catalog;
use MultisiteWebhooks\Store\Outbox;

/**
 * Hands events to the engine, keeps its endpoint snapshot current, and makes short-lived
 * processes wait for their deliveries before they exit.
 */
final class Emitter
{
    /** Filter: whether one webhook gets an event (a veto). */
    public const SHOULD_DELIVER = 'multisite_webhooks_should_deliver';

    /** Filter: the payload one webhook gets for an event. */
    public const WEBHOOK_PAYLOAD = 'multisite_webhooks_webhook_payload';

    private Plugin $plugin;
    /** File in the spool whose mtime is when this server last read the configuration's version. */
    private const CHECKED_STAMP = 'config.checked';

    /** Seconds a server goes without reading the configuration's version from the database. */
    private const CHECK_INTERVAL = 1;

    private ?int $syncedVersion = null;
    private bool $pushScheduled = false;
    private bool $flushRegistered = false;
    /** @var list<array{0:string,1:string,2?:list<int>}> Events this CLI or cron process emitted: [id, slug, webhook ids of a targeted one]. */
    private array $emitted = [];
    /** @var array<string, true> Ids of the events this process kept in the outbox. */
    private array $outboxed = [];

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
    }

    /**
     * Emits an event registered in the catalog (custom code's entry point).
     *
     * @param array<mixed>|string $payload
     * @return string|\WP_Error The event id, or why it was refused.
     */
    public function emit(string $slug, $payload)
    {
        if (!Catalog::validSlug($slug)) {
            $this->refuseEvent($slug, 'invalid_event', 'the event slug is not valid');
            return new \WP_Error('multisite_webhooks_invalid_event', sprintf(
                /* translators: %s: event slug */
                __('"%s" is not a valid event slug: use 1 to 191 letters, digits, "_", "-", "." or ":".', 'multisite-webhooks'),
                $slug
            ));
        }
        if (!$this->plugin->catalog()->has($slug)) {
            $this->refuseEvent($slug, 'unknown_event', 'no event of this name is registered');
            return new \WP_Error('multisite_webhooks_unknown_event', sprintf(
                /* translators: %s: event slug */
                __('There is no event called "%s": register it first with hooks_register_event().', 'multisite-webhooks'),
                $slug
            ));
        }
        return $this->emitTrusted($slug, $payload);
    }

    /**
     * Emits an event from a known source (WordPress, Ultimate Multisite) without the catalog
     * check. Never throws. The event ends in the engine's spool, in the outbox (when this
     * process cannot reach the engine, or the engine cannot take it now, or the configuration
     * could not be pushed), or — when no engine could ever send it — in the delivery log as
     * `refused` with the reason, counted in a network admin notice, and returned as a WP_Error.
     *
     * @param array<mixed>|string $payload An array (encoded by Payload::encode()) or the JSON
     *                                     text of an object, kept byte for byte.
     * @return string|\WP_Error The event id (`msg_…`, also for an event kept in the outbox:
     *                          see wentToOutbox()), or why it was refused.
     */
    public function emitTrusted(string $slug, $payload)
    {
        $json = is_string($payload) ? $payload : (is_array($payload) ? Payload::fromValue($payload) : null);
        if ($json === null) {
            return $this->refuse($slug, '', new EngineException(
                EngineException::INVALID_JSON,
                'json: the payload must be an array or the JSON text of an object, and encodable as JSON',
                null,
                is_array($payload) ? 'invalid_utf8' : 'not_object'
            ));
        }
        // The default path pays nothing for the extension points: one record for every listener.
        $plan = has_filter(self::SHOULD_DELIVER) || has_filter(self::WEBHOOK_PAYLOAD) ? $this->plan($slug, $json) : null;
        $engine = $this->plugin->engine();
        if ($engine->delivers()) {
            try {
                $this->sync($engine);
            } catch (\Throwable $e) {
                // Trouble with the configuration never refuses an event: keep it for later.
                $this->noteError($e->getMessage(), $e instanceof EngineException ? $e->kind() : 'internal');
                $engine = $this->plugin->outboxEngine();
            }
        } elseif ($this->plugin->loader()->initFailed()) {
            $this->noteError($this->plugin->loader()->reason(), 'engine_unavailable');
        }
        if ($plan !== null) {
            return $this->emitTargeted($engine, $slug, $json, $plan);
        }
        try {
            $id = $engine->emit($slug, $json);
            if ($engine->delivers()) {
                $this->afterEmit($id, $slug);
            } else {
                $this->outboxed[$id] = true;
            }
            return $id;
        } catch (EngineException $e) {
            if ($e->isTransient() && $engine->delivers()) {
                // The engine cannot take it now (disk full, stopped): keep it in the database.
                $this->noteError($e->getMessage(), $e->kind());
                return $this->toOutbox($slug, $json);
            }
            return $this->refuse($slug, $json, $e);
        } catch (\Throwable $e) {
            $this->noteError($e->getMessage(), 'internal');
            return $engine->delivers() ? $this->toOutbox($slug, $json) : $this->refuse($slug, $json, new EngineException(EngineException::INTERNAL, $e->getMessage(), $e));
        }
    }

    /**
     * What each listener of the event gets once the extension points had their say: webhook
     * id => payload bytes, without the vetoed ones. Null when that is "every listener gets the
     * payload as raised" (the event then goes to the engine as one record, as without filters).
     *
     * @return array<int, string>|null
     */
    private function plan(string $slug, string $json): ?array
    {
        $payload = json_decode($json, true);
        if (!is_array($payload)) {
            return null; // Not an object: the engine refuses it with its reason.
        }
        $store = $this->plugin->webhooks();
        $rejected = array_map('intval', array_keys((array) get_site_option(Options::REJECTED, [])));
        $plan = [];
        $same = true;
        foreach ($store->listeners($slug, $rejected) as $listener) {
            $webhook = $store->get($listener['id']);
            if ($webhook === null) {
                continue;
            }
            /**
             * Filters whether one webhook gets an event, at the moment it is raised. A webhook
             * that is vetoed gets nothing for this event: no request, no retry, no entry in the
             * delivery log, and it is not counted as a failure anywhere — leaving it out is the
             * integrator's decision. A manual redelivery from the log is not vetoed.
             *
             * @since 0.1.0
             *
             * @param bool   $deliver Whether the webhook gets the event. Default true.
             * @param array  $webhook The webhook (id, name, webhook_url, events, integration, …; never its secrets).
             * @param string $event   Event slug.
             * @param array  $payload The event's payload as raised.
             */
            if (!apply_filters(self::SHOULD_DELIVER, true, $webhook, $slug, $payload)) {
                $same = false;
                continue;
            }
            $plan[$webhook['id']] = $this->payloadFor($webhook, $slug, $json, $payload);
            $same = $same && $plan[$webhook['id']] === $json;
        }
        return $same ? null : $plan;
    }

    /**
     * The payload one webhook gets: the bytes as raised, or what the payload filter made of
     * them (encoded once here; the engine sends these bytes on every attempt). Also applied
     * when an event is redelivered from the log, so a redelivery sends what the first
     * delivery sent.
     *
     * @param array<string, mixed>  $webhook Webhooks::get() (without secrets).
     * @param array<mixed>|null     $payload The decoded payload, when the caller has it.
     */
    public function payloadFor(array $webhook, string $slug, string $json, ?array $payload = null): string
    {
        if (!has_filter(self::WEBHOOK_PAYLOAD)) {
            return $json;
        }
        $payload ??= (array) json_decode($json, true);
        /**
         * Filters the payload one webhook receives for an event (the body with the flat
         * format, `data` with the envelope). Runs when the event is raised, once per webhook
         * that gets it; the result is what the receiver gets, byte for byte, on every
         * attempt. Return the array unchanged to send the payload as raised.
         *
         * @since 0.1.0
         *
         * @param array  $payload The payload as raised.
         * @param array  $webhook The webhook (id, name, webhook_url, events, integration, …; never its secrets).
         * @param string $event   Event slug.
         */
        $filtered = apply_filters(self::WEBHOOK_PAYLOAD, $payload, $webhook, $slug);
        if ($filtered === $payload) {
            return $json;
        }
        $bytes = is_array($filtered) ? Payload::fromValue($filtered) : null;
        if ($bytes === null) {
            // Nothing is lost over a filter's mistake: the payload goes as raised, and the notice says why.
            $this->noteError(sprintf(
                '%s: the %s filter returned %s, not an array that encodes as JSON; webhook %d gets the payload as raised.',
                $slug,
                self::WEBHOOK_PAYLOAD,
                gettype($filtered),
                (int) $webhook['id']
            ), 'invalid_json');
            return $json;
        }
        return $bytes;
    }

    /**
     * Hands the engine one record per webhook of `$plan`, all under one event id (the
     * `webhook-id` every receiver sees), through the engine's targeted path; where this
     * process has no engine, or it cannot take them now, into the outbox the same way. The
     * payload as raised is kept in the delivery log.
     *
     * @param array<int, string> $plan Webhook id => payload bytes.
     * @return string|\WP_Error The event id, or why it was refused.
     */
    private function emitTargeted(Engine $engine, string $slug, string $json, array $plan)
    {
        $max = (int) ($this->plugin->engineSettings()['max_payload_bytes'] ?? Payload::DEFAULT_MAX_BYTES);
        // What the engine checks on every record, checked here: the event as raised first.
        foreach ([$json => $json] + array_flip($plan) as $bytes => $ignored) {
            $bytes = (string) $bytes;
            $refusal = Catalog::validSlug($slug) ? Payload::check($bytes, $max) : ['kind' => 'invalid_event', 'detail' => 'the event slug is not valid'];
            if ($refusal === null) {
                continue;
            }
            $refused = $this->refuse($slug, $bytes, new EngineException(EngineException::INVALID_JSON, $refusal['detail'], null, $refusal['kind']));
            if ($bytes === $json) {
                return $refused;
            }
            // A filter made this webhook's payload unsendable: logged as refused, the others go.
            $plan = array_filter($plan, static fn (string $b): bool => $b !== $bytes);
        }
        $id = Outbox::newId();
        $ms = (int) floor(microtime(true) * 1000);
        if ($plan === []) {
            return $id; // Every listener was vetoed: nothing to send.
        }
        try {
            $this->plugin->deliveries()->storePayload($id, $slug, $json, $ms);
        } catch (\RuntimeException $e) {
            $this->noteError($e->getMessage(), 'database');
        }
        $left = $plan;
        if ($engine->delivers()) {
            try {
                foreach ($plan as $webhookId => $bytes) {
                    $this->redeliverTo($engine, $id, $webhookId, $slug, $bytes, $ms);
                    unset($left[$webhookId]);
                }
                $this->afterEmit($id, $slug, array_keys($plan));
                return $id;
            } catch (\Throwable $e) {
                // The rest waits in the database under the same id, as an untargeted event would.
                $this->noteError($e->getMessage(), $e instanceof EngineException ? $e->kind() : 'internal');
            }
        }
        $reason = $this->plugin->loader()->reason() ?: __('The delivery engine could not take the event.', 'multisite-webhooks');
        foreach ($left as $webhookId => $bytes) {
            if ($this->plugin->outbox()->add($slug, $bytes, $reason, $id, $webhookId) === '') {
                return $this->refuse($slug, $bytes, new EngineException(EngineException::SPOOL, 'outbox: the database did not accept the event', null, 'outbox_unwritable'));
            }
        }
        $this->outboxed[$id] = true;
        return $id;
    }

    /**
     * One targeted record; a webhook the engine's snapshot does not hold yet (created by
     * another process within the last second) gets the newest snapshot pushed, then its record.
     */
    private function redeliverTo(Engine $engine, string $id, int $webhookId, string $slug, string $bytes, int $ms): void
    {
        $request = ['event_id' => $id, 'endpoint_id' => $webhookId, 'event' => $slug, 'payload' => $bytes, 'timestamp' => $ms,
            'redelivery' => false];
        try {
            $engine->redeliver($request);
        } catch (EngineException $e) {
            if ($e->getCode() !== EngineException::NOT_FOUND) {
                throw $e;
            }
            $this->sync($engine, true);
            $engine->redeliver($request);
        }
    }

    /**
     * Whether this process kept the event with this id in the database outbox (it waits for
     * a process with the engine) rather than handing it to the engine.
     */
    public function wentToOutbox(string $id): bool
    {
        return isset($this->outboxed[$id]);
    }

    /**
     * Records an event raised in this network that cannot be sent at all (a payload that
     * could not be built, an unknown event): the delivery log shows it as refused, with why.
     */
    public function refuseEvent(string $slug, string $kind, string $detail): \WP_Error
    {
        return $this->refuse($slug, '', new EngineException(EngineException::INVALID_JSON, $detail, null, $kind), 0);
    }

    /**
     * An outbox row the engine refused: recorded as refused (Outbox::drain's callback).
     */
    public function refuseFromOutbox(string $slug, EngineException $e, int $bytes): void
    {
        $this->refuse($slug, '', $e, $bytes);
    }

    /**
     * Records an event no engine can take (delivery log: outcome `refused`, with the kind and
     * the reason) and returns the refusal for the caller.
     */
    private function refuse(string $slug, string $json, EngineException $e, ?int $bytes = null): \WP_Error
    {
        $sentence = Messages::kind($e->kind(), $e->getMessage());
        try {
            $recorded = $this->plugin->deliveries()->recordRefused($slug, $e->kind(), $e->getMessage(), $bytes ?? strlen($json));
        } catch (\Throwable $ignored) {
            $recorded = false;
        }
        if (!$recorded) {
            // The log could not take it either: the notice still says so.
            $this->noteError(sprintf('%s: %s', $slug, $sentence), $e->kind());
        }
        /**
         * Fires when an event raised in this network is refused (it can never be sent).
         *
         * @since 0.2.0
         *
         * @param string $slug   Event slug.
         * @param string $kind   Machine reason (too_large, too_deep, invalid_json, …).
         * @param string $detail The engine's words.
         */
        do_action('multisite_webhooks_event_refused', $slug, $e->kind(), $e->getMessage());
        return new \WP_Error('multisite_webhooks_refused', $sentence, ['status' => 400, 'kind' => $e->kind(), 'engine_status' => $e->getCode()]);
    }

    /**
     * Pushes the webhook configuration to the engine if the engine's is older.
     *
     * The configuration's version is a network option (the truth for every server); reading it
     * costs a database query, so a server reads it at most once a second: `config.checked` in
     * the spool records when it last did. A change made through the plugin removes that stamp
     * (Webhooks::bumpVersion()), so this server sees it at its next event; other servers sharing
     * the database within a second. `$force` always reads the option and asks the engine.
     */
    public function sync(Engine $engine, bool $force = false): void
    {
        if (!$engine->delivers()) {
            return; // The outbox keeps events whatever the configuration.
        }
        $stamp = Settings::spoolDir() . '/' . self::CHECKED_STAMP;
        if (!$force) {
            if ($this->syncedVersion !== null) {
                return; // Once per request: an edit made in this request is pushed by its own sync.
            }
            $checked = @filemtime($stamp); // Silenced: absent until the first check.
            if ($checked !== false && time() - $checked < self::CHECK_INTERVAL && $engine->configuredVersion() > 0) {
                $this->syncedVersion = $engine->configuredVersion();
                return;
            }
        }
        $webhooks = $this->plugin->webhooks();
        $version = $webhooks->configVersion();
        if ($version > 0 && $engine->configuredVersion() < $version) {
            $report = $engine->configure($webhooks->snapshot());
            $this->recordRejected($report['rejected']);
        }
        $this->syncedVersion = $version;
        if (!@touch($stamp)) { // Silenced: another user's stamp: replace it.
            @unlink($stamp);
            @touch($stamp);
        }
        @chmod($stamp, 0600); // Silenced: like every file of the spool.
    }

    /**
     * Makes the next event of this process, and of every process on this server, read the
     * configuration's version again (the `multisite_webhooks_config_changed` action).
     */
    public function configChanged(): void
    {
        $this->syncedVersion = null;
        @unlink(Settings::spoolDir() . '/' . self::CHECKED_STAMP); // Silenced: absent is fine.
        // The delivering process must stop using a deleted or turned-off webhook (or an old
        // URL or secret) even if no event follows: hand it the new snapshot when this request
        // ends (once, however many webhooks it changed).
        if (!$this->pushScheduled) {
            $this->pushScheduled = true;
            add_action('shutdown', function (): void {
                $this->pushScheduled = false;
                try {
                    $this->sync($this->plugin->engine(), true);
                } catch (\Throwable $e) {
                    // The next event or cron tick pushes it.
                    $this->noteError($e->getMessage(), $e instanceof EngineException ? $e->kind() : 'internal');
                }
            }, 0);
        }
    }

    /**
     * Keeps the endpoints the engine left out of the snapshot (webhook id => kind, code,
     * detail) for the notices and the Health panel; written only when it changes.
     *
     * @param list<array<string, mixed>> $rejected As Engine::configure() reports them.
     */
    private function recordRejected(array $rejected): void
    {
        $byId = [];
        foreach ($rejected as $r) {
            $byId[(int) ($r['id'] ?? 0)] = ['kind' => (string) ($r['kind'] ?? ''), 'code' => (string) ($r['code'] ?? ''), 'detail' => (string) ($r['detail'] ?? '')];
        }
        ksort($byId);
        if (get_site_option(Options::REJECTED, []) !== $byId) {
            update_site_option(Options::REJECTED, $byId);
        }
    }

    /**
     * Remembers a problem for the network admin notice.
     */
    public function noteError(string $message, string $kind = ''): void
    {
        $last = get_site_option(Options::LAST_ERROR);
        if (is_array($last) && ($last['message'] ?? '') === $message && time() - (int) ($last['time'] ?? 0) < MINUTE_IN_SECONDS) {
            return; // Already said, recently: one database write a minute during an outage.
        }
        update_site_option(Options::LAST_ERROR, ['message' => $message, 'kind' => $kind, 'time' => time()]);
    }

    /**
     * The events this CLI or cron process emitted and nobody waited for yet, forgotten here:
     * the caller waits for them (Operations::awaitDeliveries()).
     *
     * @return list<array{0:string,1:string}> [event id, slug]
     */
    public function takeEmitted(): array
    {
        $mine = $this->emitted;
        $this->emitted = [];
        return $mine;
    }

    /**
     * CLI and cron processes wait (with a deadline) for the first attempt of each of their own
     * events before they exit — not for the server's whole queue — with results logged.
     */
    /**
     * @param list<int>|null $webhookIds The webhooks of a targeted event (null: every listener).
     */
    private function afterEmit(string $id, string $slug, ?array $webhookIds = null): void
    {
        if (!(PHP_SAPI === 'cli' || wp_doing_cron())) {
            return;
        }
        $this->emitted[] = $webhookIds === null ? [$id, $slug] : [$id, $slug, $webhookIds];
        if ($this->flushRegistered) {
            return;
        }
        $this->flushRegistered = true;
        register_shutdown_function(function (): void {
            try {
                $ops = $this->plugin->operations();
                $ops->awaitDeliveries($ops->targetsOf($this->takeEmitted()), Settings::flushTimeoutMs() / 1000);
            } catch (\Throwable $e) {
                // Nothing is lost: the events wait in the spool for the next process.
                $this->noteError($e->getMessage(), $e instanceof EngineException ? $e->kind() : 'internal');
            }
        });
    }
}
