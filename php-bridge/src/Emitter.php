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

/**
 * Hands events to the engine, keeps its endpoint snapshot current, and makes short-lived
 * processes wait for their deliveries before they exit.
 */
final class Emitter
{
    /** Network option: the last problem met, `['message', 'kind', 'time']`. */
    public const LAST_ERROR = 'multisite_webhooks_last_error';

    /** Network option: endpoints the engine left out of the newest snapshot, by webhook id. */
    public const REJECTED = 'multisite_webhooks_rejected_endpoints';

    private Plugin $plugin;
    /** File in the spool whose mtime is when this server last read the configuration's version. */
    private const CHECKED_STAMP = 'config.checked';

    /** Seconds a server goes without reading the configuration's version from the database. */
    private const CHECK_INTERVAL = 1;

    private ?int $syncedVersion = null;
    private bool $pushScheduled = false;
    private bool $flushRegistered = false;
    /** @var list<array{0:string,1:string}> Events this CLI or cron process emitted: [id, slug]. */
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
                __('"%s" is not a valid event slug: use 1 to 191 letters, digits, "_", "-", "." or ":".', 'multisite-webhooks'), $slug));
        }
        if (!$this->plugin->catalog()->has($slug)) {
            $this->refuseEvent($slug, 'unknown_event', 'no event of this name is registered');
            return new \WP_Error('multisite_webhooks_unknown_event', sprintf(
                /* translators: %s: event slug */
                __('There is no event called "%s": register it first with hooks_register_event().', 'multisite-webhooks'), $slug));
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
            return $this->refuse($slug, '', new EngineException(EngineException::INVALID_JSON,
                'json: the payload must be an array or the JSON text of an object, and encodable as JSON', null, is_array($payload) ? 'invalid_utf8' : 'not_object'));
        }
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
     * @return string|\WP_Error
     */
    private function toOutbox(string $slug, string $json)
    {
        try {
            $id = $this->plugin->outboxEngine()->emit($slug, $json);
            $this->outboxed[$id] = true;
            return $id;
        } catch (EngineException $e) {
            return $this->refuse($slug, $json, $e);
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
            $checked = @filemtime($stamp); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- absent until the first check.
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
        if (!@touch($stamp)) { // phpcs:ignore WordPress.PHP.NoSilencedErrors -- another user's stamp: replace it.
            @unlink($stamp); // phpcs:ignore WordPress.PHP.NoSilencedErrors
            @touch($stamp); // phpcs:ignore WordPress.PHP.NoSilencedErrors
        }
        @chmod($stamp, 0600); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- like every file of the spool.
    }

    /**
     * Makes the next event of this process, and of every process on this server, read the
     * configuration's version again (the `multisite_webhooks_config_changed` action).
     */
    public function configChanged(): void
    {
        $this->syncedVersion = null;
        @unlink(Settings::spoolDir() . '/' . self::CHECKED_STAMP); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- absent is fine.
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
        if (get_site_option(self::REJECTED, []) !== $byId) {
            update_site_option(self::REJECTED, $byId);
        }
    }

    /**
     * Remembers a problem for the network admin notice.
     */
    public function noteError(string $message, string $kind = ''): void
    {
        $last = get_site_option(self::LAST_ERROR);
        if (is_array($last) && ($last['message'] ?? '') === $message && time() - (int) ($last['time'] ?? 0) < MINUTE_IN_SECONDS) {
            return; // Already said, recently: one database write a minute during an outage.
        }
        update_site_option(self::LAST_ERROR, ['message' => $message, 'kind' => $kind, 'time' => time()]);
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
    private function afterEmit(string $id, string $slug): void
    {
        if (!(PHP_SAPI === 'cli' || wp_doing_cron())) {
            return;
        }
        $this->emitted[] = [$id, $slug];
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
