<?php
/**
 * The webhook URL rule, the same as the engine's (`check_url` in src/config.rs): both are
 * tested against tests/fixtures/url-rule.json, so a URL saved here is one the engine takes.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks;

/**
 * Checks and normalises webhook URLs.
 */
final class UrlRule
{
    /** Longest URL accepted, in bytes. */
    public const MAX_LENGTH = 2048;

    /**
     * The code of the first rule `$url` breaks, or null when it is a webhook URL. Codes, in
     * the order checked: empty, too_long, not_ascii, control, forbidden_char, fragment,
     * scheme, userinfo, bad_host, no_host, bad_port, bad_percent.
     */
    public static function check(string $url): ?string
    {
        if ($url === '') {
            return 'empty';
        }
        if (strlen($url) > self::MAX_LENGTH) {
            return 'too_long';
        }
        if (preg_match('/[\x80-\xFF]/', $url)) {
            return 'not_ascii';
        }
        if (preg_match('/[\x00-\x20\x7F]/', $url)) {
            return 'control';
        }
        if (strpbrk($url, '"<>\\^`{|}') !== false) {
            return 'forbidden_char';
        }
        if (str_contains($url, '#')) {
            return 'fragment';
        }
        if (
            !preg_match('~^([A-Za-z][A-Za-z0-9+.-]*):~', $url, $m)
            || !in_array(strtolower($m[1]), ['http', 'https'], true)
            || substr($url, strlen($m[1]) + 1, 2) !== '//'
        ) {
            return 'scheme';
        }
        $rest = substr($url, strlen($m[1]) + 3);
        $end = strcspn($rest, '/?');
        $authority = substr($rest, 0, $end);
        if (str_contains($authority, '@')) {
            return 'userinfo';
        }
        $port = null;
        if (str_starts_with($authority, '[')) {
            $close = strpos($authority, ']');
            if ($close === false) {
                return 'bad_host';
            }
            if (filter_var(substr($authority, 1, $close - 1), FILTER_VALIDATE_IP, FILTER_FLAG_IPV6) === false) {
                return 'bad_host';
            }
            $after = substr($authority, $close + 1);
            if ($after !== '') {
                if ($after[0] !== ':') {
                    return 'bad_port';
                }
                $port = substr($after, 1);
            }
        } else {
            $colon = strpos($authority, ':');
            $host = $colon === false ? $authority : substr($authority, 0, $colon);
            if ($colon !== false) {
                $port = substr($authority, $colon + 1);
            }
            if ($host === '') {
                return 'no_host';
            }
            if (!preg_match('/^[A-Za-z0-9._-]+$/', $host)) {
                return 'bad_host';
            }
        }
        if ($port !== null && (!preg_match('/^[0-9]{1,5}$/', $port) || (int) $port < 1 || (int) $port > 65535)) {
            return 'bad_port';
        }
        if (preg_match('/%(?![0-9A-Fa-f]{2})/', substr($rest, $end))) {
            return 'bad_percent';
        }
        return null;
    }

    /**
     * `$url` as it is saved: trimmed, and a host in another script (IDN, e.g. bücher.example)
     * converted to its ASCII form (xn--…, UTS #46) — the form the engine and DNS use.
     * Returns [url, code]: code is null when the result passes check(), else the rule it
     * breaks (`idn` when the host cannot be converted, `idn_unavailable` without PHP's intl).
     *
     * @return array{0:string, 1:?string}
     */
    public static function normalize(string $url): array
    {
        $url = trim($url);
        if (preg_match('~^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#]*)(.*)$~s', $url, $m) && preg_match('/[\x80-\xFF]/', $m[2])) {
            $colon = strrpos($m[2], ':');
            $host = $colon === false ? $m[2] : substr($m[2], 0, $colon);
            $port = $colon === false ? '' : substr($m[2], $colon);
            if (str_contains($host, '@')) {
                return [$url, 'userinfo'];
            }
            if (!function_exists('idn_to_ascii')) {
                return [$url, 'idn_unavailable'];
            }
            $ascii = idn_to_ascii($host, IDNA_NONTRANSITIONAL_TO_ASCII | IDNA_CHECK_BIDI | IDNA_CHECK_CONTEXTJ | IDNA_USE_STD3_RULES, INTL_IDNA_VARIANT_UTS46);
            if (!is_string($ascii) || $ascii === '') {
                return [$url, 'idn'];
            }
            $url = $m[1] . $ascii . $port . $m[3];
        }
        return [$url, self::check($url)];
    }
}
