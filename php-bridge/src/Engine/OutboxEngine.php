<?php
/**
 * The engine of degraded mode: this process cannot load the library (FFI off in the pool,
 * library missing, spool unusable), so events are kept in the database outbox until a process
 * with the engine moves them in.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Engine;

use MultisiteWebhooks\Events\Catalog;
use MultisiteWebhooks\Payload;
use MultisiteWebhooks\Store\Outbox;

/**
 * Keeps events, delivers nothing. What only a delivering engine can do (a test send, a
 * redelivery) fails with the kind `engine_unavailable` and the loader's reason.
 */
final class OutboxEngine implements Engine
{
    private Outbox $outbox;
    private string $reason;
    private int $maxPayloadBytes;

    /**
     * @param Outbox $outbox          Where events wait.
     * @param string $reason          Why this process has no engine (the loader's reason).
     * @param int    $maxPayloadBytes The engine's payload limit, so the outbox holds only what it will accept.
     */
    public function __construct(Outbox $outbox, string $reason, int $maxPayloadBytes = Payload::DEFAULT_MAX_BYTES)
    {
        $this->outbox = $outbox;
        $this->reason = $reason;
        $this->maxPayloadBytes = $maxPayloadBytes;
    }

    public function version(): string
    {
        return '';
    }

    public function delivers(): bool
    {
        return false;
    }

    public function init(array $settings): void
    {
    }

    public function configure(array $snapshot): array
    {
        return ['applied' => false, 'version' => 0, 'endpoints' => 0, 'rejected' => []];
    }

    public function configuredVersion(): int
    {
        return 0;
    }

    /**
     * Keeps the event in the outbox after checking it as the engine will, so the caller
     * learns at once when it could never be sent. Returns `outbox_<row id>`.
     */
    public function emit(string $event, array|string $payload): string
    {
        if (!Catalog::validSlug($event)) {
            throw new EngineException(EngineException::INVALID_EVENT, sprintf('event: the event slug %s is not valid', json_encode($event)), null, 'invalid_event');
        }
        $json = is_string($payload) ? $payload : Payload::encode($payload);
        if ($json === null) {
            throw new EngineException(EngineException::INVALID_JSON, 'json: the payload could not be encoded as JSON', null, 'invalid_json');
        }
        $refusal = Payload::check($json, $this->maxPayloadBytes);
        if ($refusal !== null) {
            $status = ['too_large' => EngineException::TOO_LARGE, 'invalid_utf8' => EngineException::INVALID_UTF8][$refusal['kind']] ?? EngineException::INVALID_JSON;
            throw new EngineException($status, $refusal['detail'], null, $refusal['kind']);
        }
        $id = $this->outbox->add($event, $json, $this->reason);
        if ($id === '') {
            throw new EngineException(EngineException::SPOOL, 'outbox: the database did not accept the event', null, 'outbox_unwritable');
        }
        return $id;
    }

    public function emitAs(string $id, string $event, string $payload): void
    {
        throw $this->unavailable();
    }

    public function sendTest(array $request): array
    {
        throw $this->unavailable();
    }

    public function checkUrl(string $url): array
    {
        return ['ok' => null, 'kind' => 'unchecked', 'reason' => $this->reason];
    }

    public function flush(int $timeoutMs): bool
    {
        return true;
    }

    public function stats(): array
    {
        return ['mode' => 'degraded', 'queue_depth' => 0, 'outbox' => $this->outbox->count(), 'last_error' => null,
            'rejected_endpoints' => [], 'results_dropped' => 0];
    }

    public function takeResults(int $max = 500, int $maxBytes = 4194304): array
    {
        return ['events' => [], 'attempts' => [], 'ack' => '', 'more' => false, 'dropped' => 0];
    }

    public function ackResults(string $token): void
    {
    }

    public function redeliver(array $request): void
    {
        throw $this->unavailable();
    }

    public function shutdown(int $timeoutMs): void
    {
    }

    private function unavailable(): EngineException
    {
        return new EngineException(EngineException::NOT_INITIALIZED, $this->reason, null, 'engine_unavailable');
    }
}
