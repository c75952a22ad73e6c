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
final class Dispatcher
{
    private Plugin $plugin;
    /** File in the spool whose mtime is when this server last read the configuration's version. */
    private const CHECKED_STAMP = 'config.checked';

    /** Seconds a server goes without reading the configuration's version from the database. */
    private const CHECK_INTERVAL = 1;

    private ?int $syncedVersion = null;
    private bool $pushScheduled = false;
    private bool $flushRegistered = false;

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
            return new \WP_Error('multisite_webhooks_invalid_event', sprintf(
                /* translators: %s: event slug */
                __('"%s" is not a valid event slug: use 1 to 191 letters, digits, "_", "-", "." or ":".', 'multisite-webhooks'), $slug));
        }
        if (!$this->plugin->catalog()->has($slug)) {
            return new \WP_Error('multisite_webhooks_unknown_event', sprintf(
                /* translators: %s: event slug */
                __('There is no event called "%s": register it first with hooks_register_event().', 'multisite-webhooks'), $slug));
        }
        return $this->emitTrusted($slug, $payload);
    }

    /**
     * Emits an event from a known source (WordPress, Ultimate Multisite) without the catalog
     * check. Never throws: a problem is returned as a WP_Error and remembered for the admin.
     *
     * @param array<mixed>|string $payload
     * @return string|\WP_Error
     */
    public function emitTrusted(string $slug, $payload)
    {
        $json = self::encode($payload);
        if ($json instanceof \WP_Error) {
            return $json;
        }
        try {
            $engine = $this->plugin->engine();
            if ($engine === null) {
                if ($this->plugin->loader()->initFailed()) {
                    $this->noteError($this->plugin->loader()->reason());
                }
                return $this->toOutbox($slug, $json, $this->plugin->loader()->reason());
            }
            $this->sync($engine);
            $id = $engine->emit($slug, $json);
            $this->afterEmit();
            return $id;
        } catch (EngineException $e) {
            if (in_array($e->getCode(), [EngineException::SPOOL, EngineException::NOT_INITIALIZED, EngineException::INTERNAL], true)) {
                // The engine cannot take it now: keep it in the database, never lose it.
                $this->noteError($e->getMessage());
                return $this->toOutbox($slug, $json, $e->getMessage());
            }
            return new \WP_Error('multisite_webhooks_refused', $e->getMessage(), ['status' => $e->getCode()]);
        } catch (\Throwable $e) {
            $this->noteError($e->getMessage());
            return $this->toOutbox($slug, $json, $e->getMessage());
        }
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
            $engine->configure($webhooks->snapshot());
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
                    $engine = $this->plugin->engine();
                    if ($engine !== null) {
                        $this->sync($engine, true);
                    }
                } catch (\Throwable $e) {
                    $this->noteError($e->getMessage()); // The next event or cron tick pushes it.
                }
            }, 0);
        }
    }

    /**
     * @param array<mixed>|string $payload
     * @return string|\WP_Error JSON text of an object.
     */
    private static function encode($payload)
    {
        if (is_string($payload)) {
            $decoded = json_decode($payload);
            if (!$decoded instanceof \stdClass) {
                return new \WP_Error('multisite_webhooks_invalid_payload', __('The payload must be a JSON object.', 'multisite-webhooks'));
            }
            return $payload;
        }
        if (!is_array($payload)) {
            return new \WP_Error('multisite_webhooks_invalid_payload', __('The payload must be an array or the JSON text of an object.', 'multisite-webhooks'));
        }
        $json = wp_json_encode($payload === [] ? new \stdClass() : (array_is_list($payload) ? ['items' => $payload] : $payload), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION);
        if ($json === false) {
            return new \WP_Error('multisite_webhooks_invalid_payload', __('The payload could not be encoded as JSON (invalid UTF-8?).', 'multisite-webhooks'));
        }
        return $json;
    }

    /**
     * @return string|\WP_Error
     */
    private function toOutbox(string $slug, string $json, string $reason)
    {
        $id = $this->plugin->outbox()->add($slug, $json, $reason);
        if ($id === 0) {
            return new \WP_Error('multisite_webhooks_lost', __('The event could not be queued: neither the engine nor the database accepted it.', 'multisite-webhooks'));
        }
        return 'outbox_' . $id;
    }

    /**
     * Remembers a problem for the network admin notice.
     */
    public function noteError(string $message): void
    {
        $last = get_site_option('multisite_webhooks_last_error');
        if (is_array($last) && ($last['message'] ?? '') === $message && time() - (int) ($last['time'] ?? 0) < MINUTE_IN_SECONDS) {
            return; // Already said, recently: one database write a minute during an outage.
        }
        update_site_option('multisite_webhooks_last_error', ['message' => $message, 'time' => time()]);
    }

    /**
     * CLI and cron processes wait (with a deadline) for their deliveries before they exit, then
     * record the results.
     */
    private function afterEmit(): void
    {
        if ($this->flushRegistered || !(PHP_SAPI === 'cli' || wp_doing_cron())) {
            return;
        }
        $this->flushRegistered = true;
        register_shutdown_function(function (): void {
            $engine = $this->plugin->engine();
            if ($engine === null) {
                return;
            }
            try {
                $engine->flush(Settings::flushTimeoutMs());
                $this->plugin->importer()->run(2.0);
            } catch (\Throwable $e) {
                // Nothing is lost: the events wait in the spool for the next process.
            }
        });
    }
}
