<?php
/**
 * The delivery engine as the rest of the plugin sees it.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Engine;

/**
 * One process's webhook delivery engine.
 *
 * Every method except version() and delivers() needs init() first. Every failure reported
 * by the engine is thrown as an EngineException whose code is the engine's status (see its
 * constants), whose kind() is the engine's machine reason and whose message is its detail.
 *
 * JSON arguments are built from PHP arrays; an empty array stands for the empty object
 * `{}` wherever the engine expects an object (a payload, the settings).
 */
interface Engine
{
    /**
     * The version of the loaded engine library, e.g. "0.1.0".
     */
    public function version(): string;

    /**
     * Starts the engine of this process. Cheap when called again with the same settings;
     * other settings restart it.
     *
     * @param array<string, mixed> $settings Engine settings; `spool_dir` (absolute) is required.
     *
     * @throws EngineException INVALID_SETTINGS, SPOOL, INVALID_UTF8.
     */
    public function init(array $settings): void;

    /**
     * Whether this engine delivers (the library is loaded in this process). The outbox engine
     * of degraded mode answers false: it only keeps events in the database.
     */
    public function delivers(): bool;

    /**
     * Gives the engine the endpoint snapshot `['version' => N, 'endpoints' => [...]]`. Each
     * endpoint is judged on its own: one the engine cannot use is left out and reported,
     * the others are applied.
     *
     * @param array<string, mixed> $snapshot
     *
     * @return array{applied:bool, version:int, endpoints:int, rejected:list<array<string, mixed>>}
     *         `applied` is false when a snapshot of this version or newer is already known;
     *         each rejected endpoint is `['id' => ?int, 'index' => int, 'kind' => …, 'code' => …, 'field' => …, 'detail' => …]`.
     *
     * @throws EngineException INVALID_CONFIG (not a snapshot document at all), NOT_INITIALIZED, SPOOL.
     */
    public function configure(array $snapshot): array;

    /**
     * The version of the newest endpoint snapshot known (0 = none).
     *
     * @throws EngineException NOT_INITIALIZED.
     */
    public function configuredVersion(): int;

    /**
     * Accepts an event for delivery; returns once it is in the spool, never touches the network.
     *
     * @param string              $event   Event slug, e.g. "site_created".
     * @param array<mixed>|string $payload The payload: an array (encoded as a JSON object) or
     *                                     the JSON text of an object, sent byte for byte.
     *
     * @return string The event id (`msg_…`), which receivers see as `webhook-id`.
     *
     * @throws EngineException INVALID_EVENT, INVALID_JSON, INVALID_UTF8, TOO_LARGE, NOT_INITIALIZED, SPOOL.
     */
    public function emit(string $event, array|string $payload): string;

    /**
     * Accepts an event under the id it got when it was raised (`msg_…`): one moved from the
     * database outbox, so that receivers see the `webhook-id` already reported for it.
     *
     * @param string $payload The JSON text of an object, sent byte for byte.
     *
     * @throws EngineException INVALID_JSON (also a malformed id), INVALID_EVENT, INVALID_UTF8, TOO_LARGE, NOT_INITIALIZED, SPOOL.
     */
    public function emitAs(string $id, string $event, string $payload): void;

    /**
     * Sends one real, signed request now and waits for the answer.
     *
     * @param array<string, mixed> $request `['endpoint' => [...], 'event' => slug, 'payload' => array|json string]`.
     *
     * @return array<string, mixed> `ok`, `status`, `reason`, `error`, `duration_ms`,
     *                              `request_headers`, `response_headers`, `response_excerpt`, `body`, …
     *                              A refused or failed request is a result with `ok` false, not an exception.
     *
     * @throws EngineException INVALID_JSON, INVALID_CONFIG, INVALID_EVENT, TOO_LARGE, NOT_INITIALIZED.
     */
    public function sendTest(array $request): array;

    /**
     * Whether the SSRF guard would let a webhook URL through, judged as delivery judges it
     * (the same guard, with the engine's `ssrf_allow`); nothing is sent. A name is looked up
     * with the system resolver, waiting at most the engine's connect timeout.
     *
     * @param string $url The webhook URL, http(s) with a host.
     *
     * @return array<string, mixed> One of:
     *                              `['ok' => true, 'addresses' => ['93.184.216.34', …]]` when at
     *                              least one address passes (delivery connects to those);
     *                              `['ok' => false, 'reason' => 'ssrf: refused 127.0.0.1 (loopback); …', 'addresses' => [...]]`
     *                              when every address is refused, the reason fit to show as it is;
     *                              `['ok' => null, 'reason' => 'could not resolve <host>: …']` when
     *                              the name does not resolve (not a refusal: DNS may be down for a moment).
     *
     * @throws EngineException INVALID_CONFIG (not an http(s) URL with a host), INVALID_UTF8, NOT_INITIALIZED.
     */
    public function checkUrl(string $url): array;

    /**
     * Waits until nothing is due and nothing is in flight, at most $timeoutMs milliseconds.
     *
     * @param int $timeoutMs 0 to 4294967295.
     *
     * @return bool True when done; false when the deadline passed first (nothing is lost).
     *
     * @throws EngineException           NOT_INITIALIZED.
     * @throws \InvalidArgumentException When $timeoutMs is out of range.
     */
    public function flush(int $timeoutMs): bool;

    /**
     * Queue and delivery figures (`queue_depth`, `delivered`, `failed`, `leader_pid`, …).
     *
     * @return array<string, mixed>
     *
     * @throws EngineException NOT_INITIALIZED.
     */
    public function stats(): array;

    /**
     * Reads the oldest finished work not yet acknowledged, at most $max entries and about
     * $maxBytes bytes (always at least one entry when any waits). Nothing is consumed until
     * ackResults() is given the answer's `ack`: a reader that dies loses nothing.
     *
     * @param int $max      1 to 10000.
     * @param int $maxBytes 65536 to 67108864.
     *
     * @return array{events:list<array<string,mixed>>, attempts:list<array<string,mixed>>, ack:string, more:bool, dropped:int}
     *         `events`: each accepted event once (`event_id`, `event`, `timestamp`, `payload` =
     *         the accepted JSON text, byte for byte); `attempts`: finished attempts (use
     *         `attempt_id` to skip one seen before); `dropped`: entries the engine had to drop
     *         because nobody took them in time (a running total).
     *
     * @throws EngineException           NOT_INITIALIZED, SPOOL.
     * @throws \InvalidArgumentException When an argument is out of range.
     */
    public function takeResults(int $max = 500, int $maxBytes = 4194304): array;

    /**
     * Consumes what takeResults() returned up to its `ack` token.
     *
     * @throws EngineException INVALID_JSON (not a token), NOT_INITIALIZED, SPOOL.
     */
    public function ackResults(string $token): void;

    /**
     * Queues an event again for one endpoint, with the same `webhook-id`.
     *
     * @param array<string, mixed> $request `['event_id', 'endpoint_id', 'event', 'payload', 'timestamp'?,
     *                                      'redelivery'?]`; `'redelivery' => false` for a new event this
     *                                      endpoint alone gets, with a payload of its own.
     *
     * @throws EngineException NOT_FOUND (endpoint not in the snapshot), INVALID_JSON, INVALID_EVENT,
     *                         TOO_LARGE, NOT_INITIALIZED, SPOOL.
     */
    public function redeliver(array $request): void;

    /**
     * Flushes for at most $timeoutMs, then stops this process's engine. Deliveries still
     * pending at the deadline stay in the spool for the next leader; that is not an error.
     *
     * @param int $timeoutMs 0 to 4294967295.
     *
     * @throws EngineException           NOT_INITIALIZED.
     * @throws \InvalidArgumentException When $timeoutMs is out of range.
     */
    public function shutdown(int $timeoutMs): void;
}
