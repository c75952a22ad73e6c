<?php
/**
 * Is the spool served over HTTP? It holds `endpoints.json` (every signing secret) and the
 * payloads of events, so it must lie outside every folder the web server serves. Where it lies
 * under one (the document root, WordPress's folder, wp-content), a probe file is written into
 * it and fetched through its URL: if the web server hands it out, so it would the secrets, and
 * the engine is not started there.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks;

/**
 * Checks the spool's reachability, remembers the verdict (a marker file in the spool, so the
 * engine's start costs a stat, not a query), and keeps Apache out with a `.htaccess`.
 */
final class SpoolExposure
{
    /** In the spool when its last check found it served over HTTP. */
    public const MARKER = 'served-over-http';


    /**
     * Whether the last check found `$dir` served over HTTP.
     */
    public static function knownServed(string $dir): bool
    {
        return $dir !== '' && is_file(rtrim($dir, '/') . '/' . self::MARKER);
    }

    /**
     * The folders this network's web server serves, each with the URL it serves it at.
     *
     * @return array<string, string> real path => URL (with a trailing slash)
     */
    public static function servedFolders(): array
    {
        $main = function_exists('get_main_site_id') ? get_main_site_id() : 0;
        $site = trailingslashit(get_site_url($main));
        $origin = self::origin(get_home_url($main));
        $bases = [
            Settings::documentRoot(rtrim(ABSPATH, '/'), $site) => $origin,
            rtrim(ABSPATH, '/') => $site,
            rtrim(WP_CONTENT_DIR, '/') => trailingslashit(content_url()),
        ];
        if (!empty($_SERVER['DOCUMENT_ROOT'])) {
            $bases[rtrim((string) $_SERVER['DOCUMENT_ROOT'], '/')] = $origin;
        }
        $out = [];
        foreach ($bases as $path => $url) {
            // As written and as resolved: a folder may be reached through a symlink.
            foreach ([rtrim((string) $path, '/'), realpath((string) $path)] as $p) {
                if (is_string($p) && $p !== '' && !isset($out[$p])) {
                    $out[$p] = $url;
                }
            }
        }
        // Deepest first: wp-content has its own URL even when it lies under ABSPATH.
        uksort($out, static fn (string $a, string $b): int => strlen($b) <=> strlen($a));
        return $out;
    }

    /**
     * The URL the web server would serve `$dir` at, or null when it lies outside every served
     * folder. `$dir` need not exist yet (its nearest existing parent decides).
     *
     * @param array<string, string>|null $served servedFolders() (for tests)
     */
    public static function urlOf(string $dir, ?array $served = null): ?string
    {
        $dir = rtrim($dir, '/');
        $tail = '';
        $existing = $dir;
        while ($existing !== '' && $existing !== '/' && realpath($existing) === false) {
            $tail = '/' . basename($existing) . $tail;
            $existing = dirname($existing);
        }
        $real = (string) realpath($existing === '' ? '/' : $existing) . $tail;
        foreach ($served ?? self::servedFolders() as $base => $url) {
            foreach (array_unique([$dir, $real]) as $path) {
                if ($path === $base || strpos($path . '/', $base . '/') === 0) {
                    $rel = ltrim(substr($path, strlen($base)), '/');
                    return $url . ($rel === '' ? '' : implode('/', array_map('rawurlencode', explode('/', $rel))) . '/');
                }
            }
        }
        return null;
    }

    /**
     * Checks `$dir` now and remembers the verdict: `served` true (the probe came back), false
     * (outside every served folder, or the web server refused it), or null (it lies under one
     * but could not be fetched: unknown).
     *
     * @return array{dir:string, served:?bool, url:?string, status:?int, detail:string, time:int}
     */
    public static function check(string $dir): array
    {
        $url = self::urlOf($dir);
        $verdict = ['dir' => $dir, 'served' => false, 'url' => $url, 'status' => null, 'detail' => '', 'time' => time()];
        if ($url === null) {
            $verdict['detail'] = sprintf(
                /* translators: %s: folders */
                __('outside every folder the web server serves for this network (%s).', 'multisite-webhooks'),
                implode(', ', array_keys(self::servedFolders()))
            );
        } elseif (!is_dir($dir) && !(function_exists('posix_geteuid') && posix_geteuid() === 0) && @mkdir($dir, 0700, true)) {
            // Created as the engine would (never by root: the web user must own it).
            self::denyApache($dir);
            $verdict = self::probe($dir, $url) + $verdict;
        } elseif (!is_dir($dir) || !is_writable($dir)) {
            $verdict['served'] = null;
            /* translators: %s: URL */
            $verdict['detail'] = sprintf(__('inside a folder the web server serves (it would be %s), and not writable here, so it could not be checked.', 'multisite-webhooks'), $url);
        } else {
            self::denyApache($dir);
            $verdict = self::probe($dir, $url) + $verdict;
        }
        $marker = rtrim($dir, '/') . '/' . self::MARKER;
        if ($verdict['served'] === true) {
            @file_put_contents($marker, $url); // Silenced: best effort; the option below also says it.
            @chmod($marker, 0600);
        } elseif (is_file($marker)) {
            @unlink($marker);
        }
        update_site_option(Options::SPOOL_EXPOSURE, $verdict);
        return $verdict;
    }

    /**
     * The last verdict, checked again when older than a day or about another folder.
     *
     * @return array{dir:string, served:?bool, url:?string, status:?int, detail:string, time:int}
     */
    public static function verdict(string $dir): array
    {
        $last = get_site_option(Options::SPOOL_EXPOSURE);
        if (is_array($last) && ($last['dir'] ?? '') === $dir && time() - (int) ($last['time'] ?? 0) < DAY_IN_SECONDS) {
            return $last;
        }
        return self::check($dir);
    }

    /**
     * Writes a probe file into the spool and fetches it over HTTP.
     *
     * @return array{served:?bool, status:?int, detail:string}
     */
    private static function probe(string $dir, string $url): array
    {
        $token = bin2hex(random_bytes(16));
        $name = 'probe-' . bin2hex(random_bytes(6)) . '.txt';
        $path = rtrim($dir, '/') . '/' . $name;
        if (@file_put_contents($path, $token) === false) {
            /* translators: %s: URL */
            return ['served' => null, 'status' => null, 'detail' => sprintf(__('inside a folder the web server serves (%s); no probe file could be written to check it.', 'multisite-webhooks'), $url)];
        }
        @chmod($path, 0600); // Silenced: as private as endpoints.json.
        try {
            $r = wp_remote_get($url . $name, ['timeout' => 5, 'redirection' => 0, 'sslverify' => false, 'reject_unsafe_urls' => false]);
        } finally {
            @unlink($path);
        }
        if (is_wp_error($r)) {
            return ['served' => null, 'status' => null, 'detail' => sprintf(
                /* translators: 1: URL, 2: error */
                __('inside a folder the web server serves (%1$s), and fetching it failed (%2$s), so it is not known whether the web server hands its files out.', 'multisite-webhooks'),
                $url,
                $r->get_error_message()
            )];
        }
        $status = (int) wp_remote_retrieve_response_code($r);
        if ($status === 200 && trim((string) wp_remote_retrieve_body($r)) === $token) {
            return ['served' => true, 'status' => $status, 'detail' => sprintf(
                /* translators: %s: URL */
                __('served over HTTP: %s hands its files out, endpoints.json with every signing secret included.', 'multisite-webhooks'),
                $url
            )];
        }
        return ['served' => false, 'status' => $status, 'detail' => sprintf(
            /* translators: 1: URL, 2: HTTP status */
            __('inside a folder the web server serves, but %1$s does not hand its files out (HTTP %2$d).', 'multisite-webhooks'),
            $url,
            $status
        )];
    }

    /**
     * Apache honours a `.htaccess` in the spool (nginx and others need their own rule).
     */
    private static function denyApache(string $dir): void
    {
        $file = rtrim($dir, '/') . '/.htaccess';
        if (!is_file($file)) {
            @file_put_contents(
                $file,
                "# Multisite Webhooks: this folder holds signing secrets.\n<IfModule mod_authz_core.c>\n\tRequire all denied\n</IfModule>\n<IfModule !mod_authz_core.c>\n\tDeny from all\n</IfModule>\n"
            );
            @chmod($file, 0600);
        }
    }

    private static function origin(string $url): string
    {
        $p = wp_parse_url($url);
        return sprintf('%s://%s%s/', $p['scheme'] ?? 'http', $p['host'] ?? 'localhost', isset($p['port']) ? ':' . $p['port'] : '');
    }
}
