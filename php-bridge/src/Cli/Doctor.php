<?php
/**
 * The checks behind `wp webhook doctor`: can this server deliver webhooks, and if not, what
 * exactly to change.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Cli;

use MultisiteWebhooks\Engine\Loader;
use MultisiteWebhooks\Plugin;
use MultisiteWebhooks\Settings;

/**
 * Runs every check and says, for each failure, the one thing to change.
 */
final class Doctor
{
    private Plugin $plugin;

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
    }

    /**
     * Every check, in order.
     *
     * @return list<array{check:string, ok:bool, detail:string, fix:string}>
     */
    public function run(): array
    {
        $checks = [];
        $loader = $this->plugin->loader();

        $ffi = extension_loaded('ffi');
        $checks[] = self::check(
            'FFI extension',
            $ffi,
            $ffi ? 'loaded' : 'not loaded in this PHP',
            'Install or enable the PHP FFI extension (php -m must list FFI; check that php.ini does not disable it).'
        );

        $enable = strtolower((string) ini_get('ffi.enable'));
        $cli = PHP_SAPI === 'cli' || PHP_SAPI === 'phpdbg';
        $allowed = in_array($enable, ['1', 'on', 'true', 'yes'], true) || ($enable === 'preload' && $cli);
        $checks[] = self::check(
            'ffi.enable',
            $allowed,
            sprintf('%s (%s for this %s process)', $enable === '' ? '0' : $enable, $allowed ? 'allows FFI' : 'forbids FFI', PHP_SAPI),
            'Set ffi.enable=preload (the default) or 1 in the CLI php.ini, and `php_admin_value[ffi.enable] = 1` in the PHP-FPM pool.'
        );

        $library = $loader->libraryPath();
        $checks[] = self::check(
            'engine library',
            $library !== null,
            $library ?? 'not found',
            'Install the plugin package built with `make plugin`, or define MULTISITE_WEBHOOKS_LIBRARY in wp-config.php as the absolute path of libmultisite_webhooks.so.'
        );

        $engine = $loader->load();
        $version = null;
        if ($engine !== null) {
            $version = $engine->version();
        }
        $versionOk = $version === Plugin::ENGINE_VERSION && $loader->mode() !== Loader::MODE_DEGRADED;
        $checks[] = self::check(
            'library version',
            $versionOk,
            $version !== null ? sprintf('%s (plugin needs %s, reached through %s)', $version, Plugin::ENGINE_VERSION, $loader->mode())
                : ($loader->reason() !== '' ? $loader->reason() : 'the library could not be loaded'),
            $loader->fix() !== '' ? $loader->fix() : 'Install the plugin and its library from the same build.'
        );

        $dir = Settings::spoolDir();
        $exists = is_dir($dir);
        $user = self::processUser();
        $checks[] = self::check(
            'spool directory exists',
            $exists,
            $dir,
            sprintf('mkdir -p %1$s && chown %2$s %1$s && chmod 0700 %1$s (or define MULTISITE_WEBHOOKS_SPOOL_DIR in wp-config.php).', $dir, $user)
        );
        $writable = $exists && is_writable($dir);
        $checks[] = self::check(
            'spool directory writable',
            $writable,
            $writable ? sprintf('writable by %s', $user) : sprintf('not writable by %s', $user),
            sprintf('chown -R %s %s (PHP-FPM and WP-CLI must run as the same user).', $user, $dir)
        );
        $mode = $exists ? (fileperms($dir) & 0777) : 0;
        $checks[] = self::check(
            'spool directory mode',
            $exists && $mode === 0700,
            $exists ? sprintf('%04o', $mode) : 'missing',
            sprintf('chmod 0700 %s (it holds signed payloads; nobody else should read it).', $dir)
        );

        $wrong = $exists ? self::foreignSpoolFiles($dir) : [];
        $checks[] = self::check(
            'spool files owned and private',
            $exists && $wrong === [],
            $wrong === [] ? sprintf('every file owned by %s, 0600/0700', self::ownerName((int) @fileowner($dir)))
            : implode(', ', array_slice($wrong, 0, 5)) . (count($wrong) > 5 ? sprintf(' and %d more', count($wrong) - 5) : ''),
            sprintf(
                'chown -R %1$s %2$s && find %2$s -type d -exec chmod 0700 {} + && find %2$s -type f -exec chmod 0600 {} + (a process run as another user, e.g. root, left them).',
                self::ownerName((int) @fileowner($dir)),
                $dir
            )
        );

        $served = \MultisiteWebhooks\SpoolExposure::check($dir);
        $checks[] = self::check(
            'spool not served over HTTP',
            $served['served'] === false,
            $served['detail'],
            sprintf(
                'Define MULTISITE_WEBHOOKS_SPOOL_DIR in wp-config.php as a folder outside the web root (e.g. %s, owned by the web server\'s user, mode 0700),'
                . ' or deny %s in the web server; then run `wp webhook doctor` again.',
                Settings::defaultSpoolDir(rtrim(ABSPATH, '/'), get_site_url()),
                (string) ($served['url'] ?? $dir)
            )
        );

        $stats = null;
        $engineError = '';
        try {
            $started = $this->plugin->engine();
            $stats = $started->delivers() ? $started->stats() : null;
        } catch (\Throwable $e) {
            $engineError = $e->getMessage();
        }
        $pid = is_array($stats) && isset($stats['leader_pid']) ? (int) $stats['leader_pid'] : 0;
        $self = is_array($stats) && !empty($stats['is_leader']);
        $alive = $pid > 0 && !$self && is_dir('/proc/' . $pid);
        if ($stats === null) {
            $detail = $engineError !== '' ? $engineError : 'the engine is not running in this PHP: ' . $loader->reason();
        } elseif ($self) {
            $detail = 'none besides this command (it stops delivering when it exits)';
        } else {
            $detail = $alive ? sprintf('pid %d', $pid) : 'none';
        }
        $checks[] = self::check(
            'delivery leader alive',
            $alive,
            $detail,
            'Load any page of the network (a PHP-FPM worker with FFI then takes over delivery), and check that the PHP-FPM pool allows FFI.'
        );

        $outbox = $this->plugin->outbox()->count();
        $checks[] = self::check(
            'outbox empty',
            $outbox === 0,
            $outbox === 0 ? '0 events waiting' : sprintf('%d events waiting', $outbox),
            'Events wait there when a PHP process could not reach the engine: run `wp webhook queue flush`, and fix ffi.enable for the pool that raised them (see their reason in the outbox table).'
        );

        return $checks;
    }

    /**
     * @return array{check:string, ok:bool, detail:string, fix:string}
     */
    private static function check(string $check, bool $ok, string $detail, string $fix): array
    {
        return ['check' => $check, 'ok' => $ok, 'detail' => $detail, 'fix' => $ok ? '' : $fix];
    }

    /**
     * Spool files not owned by the spool directory's owner, or readable by others: "path
     * (owner, mode)".
     *
     * @return list<string>
     */
    private static function foreignSpoolFiles(string $dir): array
    {
        $owner = (int) @fileowner($dir);
        $wrong = [];
        $it = new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator($dir, \FilesystemIterator::SKIP_DOTS), \RecursiveIteratorIterator::SELF_FIRST);
        foreach ($it as $f) {
            $mode = $f->getPerms() & 0777;
            if ($f->getOwner() !== $owner || ($mode & 0077) !== 0) {
                $wrong[] = sprintf('%s (%s, %04o)', substr($f->getPathname(), strlen($dir) + 1), self::ownerName($f->getOwner()), $mode);
            }
        }
        return $wrong;
    }

    private static function ownerName(int $uid): string
    {
        $pw = function_exists('posix_getpwuid') ? posix_getpwuid($uid) : false;
        return is_array($pw) && !empty($pw['name']) ? (string) $pw['name'] : (string) $uid;
    }

    private static function processUser(): string
    {
        if (function_exists('posix_geteuid') && function_exists('posix_getpwuid')) {
            $pw = posix_getpwuid(posix_geteuid());
            if (is_array($pw) && !empty($pw['name'])) {
                return (string) $pw['name'];
            }
        }
        return get_current_user();
    }
}
