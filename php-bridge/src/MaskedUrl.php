<?php
/**
 * A URL as people and API clients are shown it: credentials in it are masked. Receivers that
 * need a credential often take it in the query (`?token=…`, Zapier's and Slack's own URLs
 * carry it in the path, which is not masked: it is the address itself); Ultimate Multisite's
 * webhooks may also hold `user:password@`, which the URL rule refuses here but the import
 * preview shows.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks;

/**
 * Masks the credentials in a URL for display.
 */
final class MaskedUrl
{
    /** What a masked value reads as. */
    public const MASK = '***';

    /**
     * Query parameters whose value is a credential: a name that is, begins or ends with one of
     * these words (case-insensitive; `_` and `-` separate words), e.g. `token`, `api_key`,
     * `access-token`, `sig`, `X-Amz-Signature`.
     */
    private const CREDENTIAL_WORDS = ['token', 'key', 'apikey', 'secret', 'password', 'pass', 'pwd', 'auth', 'authorization',
        'sig', 'signature', 'credential', 'credentials', 'session', 'jwt', 'bearer'];

    /**
     * `$url` with the password of its `user:password@` (or the whole user part when it has
     * no password) and the values of credential query parameters replaced by self::MASK;
     * everything else exactly as given. A URL already masked stays the same.
     */
    public static function of(string $url): string
    {
        $masked = preg_replace_callback(
            '~^([A-Za-z][A-Za-z0-9+.\-]*://)([^/?#@]*)@~',
            static function (array $m): string {
                $colon = strpos($m[2], ':');
                return $m[1] . ($colon === false ? self::MASK : substr($m[2], 0, $colon) . ':' . self::MASK) . '@';
            },
            $url
        ) ?? $url;
        $q = strpos($masked, '?');
        if ($q === false) {
            return $masked;
        }
        $hash = strpos($masked, '#', $q);
        $query = $hash === false ? substr($masked, $q + 1) : substr($masked, $q + 1, $hash - $q - 1);
        $pairs = [];
        foreach (explode('&', $query) as $pair) {
            $eq = strpos($pair, '=');
            $pairs[] = $eq !== false && $eq < strlen($pair) - 1 && self::isCredential(substr($pair, 0, $eq))
                ? substr($pair, 0, $eq + 1) . self::MASK
                : $pair;
        }
        return substr($masked, 0, $q + 1) . implode('&', $pairs) . ($hash === false ? '' : substr($masked, $hash));
    }

    /**
     * Whether `$url` holds anything self::of() masks.
     */
    public static function hasCredentials(string $url): bool
    {
        return self::of($url) !== $url;
    }

    private static function isCredential(string $name): bool
    {
        $words = preg_split('/[_\-.\[\]]+/', strtolower(rawurldecode($name)), -1, PREG_SPLIT_NO_EMPTY) ?: [];
        if ($words === []) {
            return false;
        }
        $joined = implode('', $words);
        foreach ([$words[0], $words[count($words) - 1], $joined] as $word) {
            if (in_array($word, self::CREDENTIAL_WORDS, true)) {
                return true;
            }
        }
        // `accesstoken`, `apiKey`, `authtoken`: a credential word at the end of one word.
        foreach (['token', 'key', 'secret', 'password', 'signature'] as $end) {
            if (str_ends_with($joined, $end)) {
                return true;
            }
        }
        return false;
    }
}
