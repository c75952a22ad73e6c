<?php
/**
 * Sentences for the engine's machine answers: the engine says what happened with a `kind`
 * (and for URLs a rule `code`); this is the one place that turns them into words a network
 * admin reads, translated.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks;

/**
 * Kinds and codes to translated sentences.
 */
final class Messages
{
    /**
     * Why a URL is not a webhook URL, for a rule code of UrlRule::check()/normalize() (the
     * engine's codes are the same).
     */
    public static function url(string $code): string
    {
        switch ($code) {
            case 'empty':
                return __('Enter the URL that should receive the events.', 'multisite-webhooks');
            case 'too_long':
                return __('The URL is longer than 2048 characters.', 'multisite-webhooks');
            case 'not_ascii':
                return __(
                    'The URL contains characters outside plain ASCII. Percent-encode them in the path (for example %E0%A4%B9 for ह); a host name in another script is converted automatically.',
                    'multisite-webhooks'
                );
            case 'idn':
                return __('The host name cannot be converted to its internet (xn--) form: check its spelling.', 'multisite-webhooks');
            case 'idn_unavailable':
                return __(
                    'The host name is written in another script, and this server\'s PHP lacks the intl extension to convert it. Enter its xn-- form instead (your domain registrar shows it).',
                    'multisite-webhooks'
                );
            case 'control':
                return __('The URL must not contain spaces or control characters.', 'multisite-webhooks');
            case 'forbidden_char':
                return __('The URL contains a character that must be percent-encoded (one of " < > \\ ^ ` { | }).', 'multisite-webhooks');
            case 'fragment':
                return __('The URL must not contain a "#" part: it is never sent to the receiver.', 'multisite-webhooks');
            case 'scheme':
                return __('The URL must start with http:// or https://.', 'multisite-webhooks');
            case 'userinfo':
                return __('The URL must not contain a user name or password before the host ("user@host"): give the receiver a secret path or check the signature instead.', 'multisite-webhooks');
            case 'no_host':
                return __('The URL does not name a host.', 'multisite-webhooks');
            case 'bad_host':
                return __('The host of the URL is not a valid host name or IP address (letters, digits, dots and hyphens; IPv6 in [brackets]).', 'multisite-webhooks');
            case 'bad_port':
                return __('The port of the URL must be one number from 1 to 65535, as in https://example.com:8443/hook.', 'multisite-webhooks');
            case 'bad_percent':
                return __('Every "%" in the URL must start a percent-escape of two hex digits (write %25 for a literal %).', 'multisite-webhooks');
            default:
                /* translators: %s: machine reason */
                return sprintf(__('The URL is not accepted (%s).', 'multisite-webhooks'), $code);
        }
    }

    /**
     * Why a webhook's own headers cannot be saved (HeaderRule::check()'s `why`), naming the
     * header — never its value.
     */
    public static function header(string $why, string $name): string
    {
        switch ($why) {
            case 'too_many':
                /* translators: %d: most headers */
                return sprintf(__('A webhook can have at most %d headers of its own.', 'multisite-webhooks'), HeaderRule::MAX_HEADERS);
            case 'name':
                /* translators: 1: header name as given, 2: longest name in bytes */
                return sprintf(
                    __('"%1$s" is not a header name: use 1 to %2$d letters, digits and the symbols !#$%%&\'*+-.^_`|~ (no spaces or colons).', 'multisite-webhooks'),
                    $name,
                    HeaderRule::MAX_NAME
                );
            case 'owned':
                /* translators: %s: header name */
                return sprintf(__('The header %s is set by the plugin itself (so are webhook-*, proxy-*, Content-Type, User-Agent and Host): it cannot be replaced.', 'multisite-webhooks'), $name);
            case 'twice':
                /* translators: %s: header name */
                return sprintf(__('The header %s is given twice (header names ignore case).', 'multisite-webhooks'), $name);
            case 'value':
                /* translators: 1: header name, 2: longest value in bytes */
                return sprintf(
                    __('The value of %1$s must be at most %2$d characters of plain ASCII, with no line breaks and no spaces at either end.', 'multisite-webhooks'),
                    $name,
                    HeaderRule::MAX_VALUE
                );
            default:
                return __('Give the headers as names with text values.', 'multisite-webhooks');
        }
    }

    /**
     * A sentence for one of the engine's kinds (a refused event or call, a failed attempt,
     * a left-out endpoint). `$detail` is the engine's own words, added in brackets where they
     * help (an address, an OS error).
     *
     * @param array<string, mixed> $context `address`, `range` (ssrf_refused), `code` (invalid_url).
     */
    public static function kind(string $kind, string $detail = '', array $context = []): string
    {
        if ($kind === 'invalid_url') {
            return self::url((string) ($context['code'] ?? ''));
        }
        if ($kind === 'ssrf_refused') {
            $where = trim(($context['address'] ?? '') . (($context['range'] ?? '') !== '' ? ' (' . $context['range'] . ')' : ''));
            return sprintf(
                /* translators: %s: the refused address and its kind, e.g. "169.254.169.254 (link-local)" */
                __('Requests to this address are refused because it is not on the public internet: %s.', 'multisite-webhooks'),
                $where !== '' ? $where : $detail
            ) . ' ' . __('If the receiver really runs inside your network, add its address to the MULTISITE_WEBHOOKS_SSRF_ALLOW constant in wp-config.php.', 'multisite-webhooks');
        }
        $sentences = [
            'too_large' => __('The payload is larger than the engine accepts.', 'multisite-webhooks'),
            /* translators: %d: nesting limit */
            'too_deep' => sprintf(__('The payload nests objects and lists more than %d levels deep.', 'multisite-webhooks'), Payload::MAX_DEPTH),
            'not_object' => __('The payload is not a JSON object.', 'multisite-webhooks'),
            'invalid_json' => __('The payload is not valid JSON.', 'multisite-webhooks'),
            'lone_surrogate' => __('The payload contains half of an escaped character (a lone UTF-16 surrogate) that no receiver could decode.', 'multisite-webhooks'),
            'invalid_utf8' => __('The payload is not valid UTF-8 text.', 'multisite-webhooks'),
            'invalid_event' => __('The event name is not valid or not registered.', 'multisite-webhooks'),
            'invalid_config' => __('The webhook\'s settings are not usable by the engine.', 'multisite-webhooks'),
            'connect_refused' => __('The receiver refused the connection: nothing is listening at that address and port.', 'multisite-webhooks'),
            'connect_failed' => __('The receiver could not be reached over the network.', 'multisite-webhooks'),
            'network' => __('The connection to the receiver failed.', 'multisite-webhooks'),
            'timeout' => __('The receiver did not answer in time.', 'multisite-webhooks'),
            'tls' => __('The secure (TLS) connection to the receiver failed: check its certificate.', 'multisite-webhooks'),
            'dns' => __('The receiver\'s host name could not be found (DNS).', 'multisite-webhooks'),
            'redirect' => __('The receiver answered with a redirect, which is not followed: enter the final URL.', 'multisite-webhooks'),
            'http_status' => __('The receiver answered with an error status.', 'multisite-webhooks'),
            'response_body' => __('The receiver\'s answer could not be read to the end.', 'multisite-webhooks'),
            'cancelled' => __('The delivery was cancelled (the webhook was deleted, turned off or changed).', 'multisite-webhooks'),
            'spool' => __('The event could not be stored: the disk or the database is full or not writable.', 'multisite-webhooks'),
            'engine_unavailable' => __('The delivery engine is not available in this PHP process.', 'multisite-webhooks'),
            'internal' => __('The engine met an internal error; the process is unharmed.', 'multisite-webhooks'),
        ];
        $aliases = ['unknown_event' => 'invalid_event', 'outbox_unwritable' => 'spool', 'not_initialized' => 'engine_unavailable'];
        $s = $sentences[$aliases[$kind] ?? $kind] ?? __('The engine reported a problem.', 'multisite-webhooks');
        return $detail !== '' ? $s . ' (' . $detail . ')' : $s;
    }

    /**
     * The sentence of the Edit page saying what happens to a failed attempt, from the retry
     * schedule the engine is given (Settings::retrySchedule()).
     *
     * @param list<int> $schedule Seconds after the first attempt's failure, one per retry.
     */
    public static function retries(array $schedule): string
    {
        $count = count($schedule);
        if ($count === 0) {
            return __('Any response from 200 to 299 counts as delivered; anything else fails at once, without retries.', 'multisite-webhooks');
        }
        return sprintf(
            /* translators: 1: number of retries, 2: how long they take, e.g. "about 27 hours" */
            _n(
                'Any response from 200 to 299 counts as delivered; anything else is retried %1$d more time over %2$s.',
                'Any response from 200 to 299 counts as delivered; anything else is retried %1$d more times over %2$s.',
                $count,
                'multisite-webhooks'
            ),
            $count,
            self::duration((int) array_sum($schedule))
        );
    }

    /**
     * A duration in words, rounded as people say it: "45 seconds", "about 35 minutes",
     * "about 27 hours" (under two days, whole hours), "about 3 days".
     */
    public static function duration(int $seconds): string
    {
        if ($seconds < MINUTE_IN_SECONDS) {
            /* translators: %d: number of seconds */
            return sprintf(_n('%d second', '%d seconds', $seconds, 'multisite-webhooks'), $seconds);
        }
        if ($seconds < HOUR_IN_SECONDS) {
            $n = max(1, (int) round($seconds / MINUTE_IN_SECONDS));
            /* translators: %d: number of minutes */
            return sprintf(_n('about %d minute', 'about %d minutes', $n, 'multisite-webhooks'), $n);
        }
        if ($seconds < 2 * DAY_IN_SECONDS) {
            $n = intdiv($seconds, HOUR_IN_SECONDS);
            /* translators: %d: number of hours */
            return sprintf(_n('about %d hour', 'about %d hours', $n, 'multisite-webhooks'), $n);
        }
        $n = (int) round($seconds / DAY_IN_SECONDS);
        /* translators: %d: number of days */
        return sprintf(_n('about %d day', 'about %d days', $n, 'multisite-webhooks'), $n);
    }
}
