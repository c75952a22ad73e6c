<?php
/**
 * Event payloads: the one encoder every surface uses, and the engine's acceptance rule
 * checked on the PHP side (for events kept in the outbox before any engine sees them).
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks;

/**
 * A payload is JSON text; once encoded it is kept and sent byte for byte.
 */
final class Payload
{
    /** Deepest nesting of objects and arrays the engine accepts (its MAX_DEPTH). */
    public const MAX_DEPTH = 64;

    /** The engine's default `max_payload_bytes`. */
    public const DEFAULT_MAX_BYTES = 1048576;

    /** Longest free-text field in the payloads this plugin builds (bytes). */
    public const TEXT_FIELD_MAX = 4096;

    /**
     * Encodes a payload array as Ultimate Multisite does (`wp_json_encode` with its default
     * flags), so a receiver gets the same bytes from either plugin; `[]` is `{}`. Null when
     * PHP cannot encode it (json_last_error() says why).
     *
     * @param array<mixed> $payload
     */
    public static function encode(array $payload): ?string
    {
        if ($payload === []) {
            return '{}';
        }
        $json = function_exists('wp_json_encode') ? wp_json_encode($payload) : json_encode($payload);
        return is_string($json) ? $json : null;
    }

    /**
     * A payload value as it is sent: a list is wrapped as `{"items":[…]}` (a payload is an
     * object), then encode(). What emit, Send Test and the examples of every surface use.
     *
     * @param array<mixed> $payload
     */
    public static function fromValue(array $payload): ?string
    {
        if ($payload !== [] && array_is_list($payload)) {
            $payload = ['items' => $payload];
        }
        return self::encode($payload);
    }

    /**
     * Why the engine would refuse `$json`, checked as the engine checks it (same order, same
     * kinds: too_large, not_object, invalid_utf8, invalid_json, too_deep, lone_surrogate), or
     * null when it would accept it.
     *
     * @return array{kind:string, detail:string}|null
     */
    public static function check(string $json, int $maxBytes = self::DEFAULT_MAX_BYTES): ?array
    {
        if (strlen($json) > $maxBytes) {
            return ['kind' => 'too_large', 'detail' => sprintf('the payload is %d bytes, the limit is %d bytes', strlen($json), $maxBytes)];
        }
        $start = ltrim($json, " \t\n\r");
        if ($start === '' || $start[0] !== '{') {
            return ['kind' => 'not_object', 'detail' => 'the payload must be a JSON object ({…})'];
        }
        // PHP counts one level more than the engine does: an object alone is depth 2 here.
        json_decode($json, false, self::MAX_DEPTH + 1, JSON_BIGINT_AS_STRING);
        switch (json_last_error()) {
            case JSON_ERROR_NONE:
                return null;
            case JSON_ERROR_DEPTH:
                return ['kind' => 'too_deep', 'detail' => sprintf('the payload nests more than %d levels deep', self::MAX_DEPTH)];
            case JSON_ERROR_UTF16:
                return ['kind' => 'lone_surrogate', 'detail' => 'the payload has half of a UTF-16 surrogate pair without the other half'];
            case JSON_ERROR_UTF8:
                return ['kind' => 'invalid_utf8', 'detail' => 'the payload is not valid UTF-8'];
            default:
                return ['kind' => 'invalid_json', 'detail' => 'the payload is not valid JSON: ' . json_last_error_msg()];
        }
    }

    /**
     * Cuts the free-text fields `$keys` of `$block` to TEXT_FIELD_MAX bytes (at a character
     * boundary) and flags each cut one with `<field>_truncated: true`, so no text a site
     * administrator controls can make an event too large to be sent.
     *
     * @param array<string, mixed> $block
     * @param list<string>         $keys
     * @return array<string, mixed>
     */
    public static function boundText(array $block, array $keys, int $max = self::TEXT_FIELD_MAX): array
    {
        foreach ($keys as $key) {
            if (isset($block[$key]) && is_string($block[$key]) && strlen($block[$key]) > $max) {
                $block[$key] = mb_strcut($block[$key], 0, $max, 'UTF-8');
                $block[$key . '_truncated'] = true;
            }
        }
        return $block;
    }
}
