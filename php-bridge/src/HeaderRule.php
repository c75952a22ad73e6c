<?php
/**
 * The rule for a webhook's own request headers (`Authorization: Bearer …`, `X-API-Key`), the
 * same as the engine's (`check_headers` in src/config.rs): both are tested against
 * tests/fixtures/header-rule.json, so headers saved here are headers the engine sends.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks;

/**
 * Checks a webhook's custom headers.
 */
final class HeaderRule
{
    /** Most headers of one webhook. */
    public const MAX_HEADERS = 20;

    /** Longest header name, in bytes. */
    public const MAX_NAME = 64;

    /** Longest header value, in bytes. */
    public const MAX_VALUE = 4096;

    /**
     * Headers the engine sets (or HTTP reserves), besides every name starting with `webhook-`
     * or `proxy-`: a webhook's own headers cannot replace them.
     */
    public const OWNED = ['content-type', 'content-length', 'content-encoding', 'user-agent', 'host', 'connection', 'keep-alive',
        'transfer-encoding', 'te', 'trailer', 'upgrade', 'x-webhook-event', 'x-webhook-attempt'];

    /**
     * The first rule `$headers` (name => value) breaks, or null when the engine will send
     * them: `code` is the engine's (`bad_header`, `owned_header`), `why` says which rule
     * (`too_many`, `name`, `owned`, `twice`, `value`), `name` the header (never its value).
     * Headers are checked in the engine's order: by name, byte for byte.
     *
     * @param array<mixed> $headers
     * @return array{code:string, why:string, name:string}|null
     */
    public static function check(array $headers): ?array
    {
        if (count($headers) > self::MAX_HEADERS) {
            return ['code' => 'bad_header', 'why' => 'too_many', 'name' => ''];
        }
        ksort($headers, SORT_STRING);
        $seen = [];
        foreach ($headers as $name => $value) {
            $name = (string) $name;
            $lower = strtolower($name);
            if ($name === '' || strlen($name) > self::MAX_NAME || !preg_match('/^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$/D', $name)) {
                return ['code' => 'bad_header', 'why' => 'name', 'name' => $name];
            }
            if (in_array($lower, self::OWNED, true) || str_starts_with($lower, 'webhook-') || str_starts_with($lower, 'proxy-')) {
                return ['code' => 'owned_header', 'why' => 'owned', 'name' => $name];
            }
            if (isset($seen[$lower])) {
                return ['code' => 'bad_header', 'why' => 'twice', 'name' => $name];
            }
            $seen[$lower] = true;
            if (!is_string($value) || strlen($value) > self::MAX_VALUE || !preg_match('/^(?:[\x21-\x7E](?:[\x20-\x7E\t]*[\x21-\x7E])?)?$/D', $value)) {
                return ['code' => 'bad_header', 'why' => 'value', 'name' => $name];
            }
        }
        return null;
    }
}
