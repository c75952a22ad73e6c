<?php
/**
 * A failure reported by the delivery engine.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Engine;

/**
 * Thrown for every non-zero engine status. getCode() is the status; the message is the
 * engine's explanation (lower case, with a family prefix such as "config:" or "spool:"),
 * fit to show to a network admin.
 */
final class EngineException extends \RuntimeException
{
    /** A required pointer argument was NULL. */
    public const NULL_ARGUMENT = 1;
    /** A string argument is not valid UTF-8. */
    public const INVALID_UTF8 = 2;
    /** Invalid JSON, or JSON of the wrong shape (a payload that is not an object). */
    public const INVALID_JSON = 3;
    /** The payload is larger than `max_payload_bytes`. */
    public const TOO_LARGE = 4;
    /** Invalid engine settings (unknown field, value out of range, relative spool_dir). */
    public const INVALID_SETTINGS = 5;
    /** Invalid endpoint snapshot or endpoint; the message names the field. */
    public const INVALID_CONFIG = 6;
    /** Called before init() (or after shutdown()). */
    public const NOT_INITIALIZED = 7;
    /** Invalid event slug. */
    public const INVALID_EVENT = 8;
    /** The spool directory could not be read or written. */
    public const SPOOL = 9;
    /** A deadline passed. */
    public const TIMEOUT = 10;
    /** An id given does not exist (e.g. an endpoint not in the snapshot). */
    public const NOT_FOUND = 11;
    /** The engine caught an internal error; the process is unharmed. */
    public const INTERNAL = 99;

    private const NAMES = [
        self::NULL_ARGUMENT    => 'NULL_ARGUMENT',
        self::INVALID_UTF8     => 'INVALID_UTF8',
        self::INVALID_JSON     => 'INVALID_JSON',
        self::TOO_LARGE        => 'TOO_LARGE',
        self::INVALID_SETTINGS => 'INVALID_SETTINGS',
        self::INVALID_CONFIG   => 'INVALID_CONFIG',
        self::NOT_INITIALIZED  => 'NOT_INITIALIZED',
        self::INVALID_EVENT    => 'INVALID_EVENT',
        self::SPOOL            => 'SPOOL',
        self::TIMEOUT          => 'TIMEOUT',
        self::NOT_FOUND        => 'NOT_FOUND',
        self::INTERNAL         => 'INTERNAL',
    ];

    /** The machine reason (e.g. `too_large`, `too_deep`, `invalid_url`, `engine_unavailable`). */
    private string $kind;

    /**
     * @param int             $status   The engine status (non-zero).
     * @param string          $message  The engine's message; a generic one is used when empty.
     * @param \Throwable|null $previous The cause, for failures detected on the PHP side.
     * @param string          $kind     The engine's machine reason; derived from the status when empty.
     */
    public function __construct(int $status, string $message, ?\Throwable $previous = null, string $kind = '')
    {
        if ('' === $message) {
            $message = sprintf('engine: call failed with status %d (%s)', $status, self::nameOf($status));
        }
        parent::__construct($message, $status, $previous);
        $this->kind = '' !== $kind ? $kind : strtolower(self::nameOf($status));
    }

    /**
     * The machine reason of this failure, e.g. "too_deep" (PHP turns it into a sentence).
     */
    public function kind(): string
    {
        return $this->kind;
    }

    /**
     * Whether the engine could not take the call now (its spool, its state), as opposed to
     * refusing what it was given: the caller keeps the work for later instead of refusing it.
     */
    public function isTransient(): bool
    {
        return in_array($this->getCode(), [self::SPOOL, self::NOT_INITIALIZED, self::INTERNAL, self::NULL_ARGUMENT], true);
    }

    /**
     * The name of this exception's status, e.g. "INVALID_CONFIG".
     */
    public function statusName(): string
    {
        return self::nameOf($this->getCode());
    }

    /**
     * The name of a status, e.g. "NOT_FOUND" for 11; "UNKNOWN_<n>" for one this version does not know.
     */
    public static function nameOf(int $status): string
    {
        return self::NAMES[$status] ?? 'UNKNOWN_' . $status;
    }
}
