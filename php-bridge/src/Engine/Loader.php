<?php
/**
 * Finds and loads the engine library: the preloaded FFI scope, else FFI::cdef where
 * ffi.enable allows it, else degraded mode — and says in one sentence what to change.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Engine;

/**
 * Loads the engine once per request. Never throws: a failure is a mode and a reason.
 */
final class Loader
{
    /** The FFI_SCOPE name used by preload.php. */
    public const SCOPE = 'MULTISITE_WEBHOOKS';

    /** The engine is reached through FFI::cdef. */
    public const MODE_FFI = 'ffi';
    /** The engine is reached through a scope preloaded at PHP start. */
    public const MODE_PRELOAD = 'preload';
    /** This process cannot reach the engine: events go to the database outbox. */
    public const MODE_DEGRADED = 'degraded';

    private bool $initFailed = false;
    private string $pluginDir;
    private string $expectedVersion;
    private bool $tried = false;
    private ?Engine $engine = null;
    private string $mode = self::MODE_DEGRADED;
    private string $reason = '';
    private string $fix = '';
    private ?string $initialized = null;

    public function __construct(string $pluginDir, string $expectedVersion)
    {
        $this->pluginDir = $pluginDir;
        $this->expectedVersion = $expectedVersion;
    }

    /**
     * The engine, started with `$settings` (cheap when already started with the same ones),
     * or null when this process cannot use it (see reason()).
     *
     * @param array<string, mixed> $settings Engine settings.
     */
    public function engine(array $settings): ?Engine
    {
        $engine = $this->load();
        if ($engine === null) {
            return null;
        }
        $key = serialize($settings);
        $spool = (string) ($settings['spool_dir'] ?? '');
        if ($this->initialized !== $key && \MultisiteWebhooks\SpoolExposure::knownServed($spool)) {
            // Its endpoints.json would publish every signing secret.
            $this->initFailed = true;
            $this->degrade(
                sprintf('The spool folder %s is served over HTTP (its last check fetched a file from it), so the engine does not keep signing secrets there.', $spool),
                sprintf(
                    'Define MULTISITE_WEBHOOKS_SPOOL_DIR in wp-config.php as a folder outside the web root, e.g. %s, then run `wp webhook doctor` (or deny the folder in the web server and run it).',
                    \MultisiteWebhooks\Settings::defaultSpoolDir(rtrim(ABSPATH, '/'), get_site_url())
                )
            );
            return null;
        }
        if ($this->initialized !== $key && ($owner = self::foreignOwner($spool)) !== null) {
            // Files root created there would lock the spool's owner (PHP-FPM) out of it.
            $this->initFailed = true;
            $this->degrade(
                sprintf('This process runs as root, but the spool belongs to %s: files root made there would lock %s\'s PHP out, so the engine is not started.', $owner, $owner),
                sprintf('Run the command as the spool\'s owner: sudo -u %s -- wp … (events raised meanwhile wait in the database outbox).', $owner)
            );
            return null;
        }
        if ($this->initialized !== $key) {
            try {
                $engine->init($settings);
                $this->initialized = $key;
            } catch (EngineException $e) {
                $this->initFailed = true;
                $this->degrade(
                    sprintf('The engine refused its settings: %s', $e->getMessage()),
                    $e->getCode() === EngineException::SPOOL
                        ? 'Make the spool directory writable by the PHP user, or set MULTISITE_WEBHOOKS_SPOOL_DIR in wp-config.php to one that is.'
                        : 'Fix the setting named in the message (wp-config.php constants or the multisite_webhooks_engine_settings filter).'
                );
                return null;
            }
        }
        return $engine;
    }

    /**
     * The name of the user who owns `$spool` when this process runs as root and is not that
     * user; null otherwise (also when the spool does not exist yet).
     */
    private static function foreignOwner(string $spool): ?string
    {
        if (!function_exists('posix_geteuid') || posix_geteuid() !== 0 || $spool === '' || !is_dir($spool)) {
            return null;
        }
        $uid = (int) fileowner($spool);
        if ($uid === 0) {
            return null;
        }
        $pw = function_exists('posix_getpwuid') ? posix_getpwuid($uid) : false;
        return is_array($pw) && !empty($pw['name']) ? (string) $pw['name'] : (string) $uid;
    }

    /**
     * Whether the library loaded but refused to start (its settings, or a spool it cannot
     * write: a full or read-only disk), as opposed to FFI being unavailable.
     */
    public function initFailed(): bool
    {
        return $this->initFailed;
    }

    /**
     * Loads the library without starting it; null in degraded mode.
     */
    public function load(): ?Engine
    {
        if ($this->tried) {
            return $this->engine;
        }
        $this->tried = true;
        try {
            $this->engine = $this->open();
        } catch (\Throwable $e) {
            $this->degrade(
                sprintf('The engine library could not be loaded: %s', $e->getMessage()),
                'Rebuild or reinstall the plugin so that lib/ holds the library built for this server.'
            );
        }
        if ($this->engine !== null) {
            $version = $this->engine->version();
            if ($version !== $this->expectedVersion) {
                $this->engine = null;
                $this->degrade(
                    sprintf('The engine library is version %s, this plugin needs %s.', $version, $this->expectedVersion),
                    'Install the plugin and its library from the same build.'
                );
            }
        }
        return $this->engine;
    }

    private function open(): ?Engine
    {
        if (!extension_loaded('ffi')) {
            $this->degrade(
                'The PHP FFI extension is not loaded in this PHP.',
                'Enable the FFI extension (it ships with PHP 8.1+; check that it is not disabled in php.ini).'
            );
            return null;
        }
        // A scope preloaded by preload.php (ffi.preload/opcache.preload route).
        try {
            $engine = FfiEngine::fromScope(self::SCOPE);
            $this->mode = self::MODE_PRELOAD;
            return $engine;
        } catch (\Throwable $e) {
            // No preloaded scope: try FFI::cdef below.
        }
        $enable = strtolower((string) ini_get('ffi.enable'));
        $cli = PHP_SAPI === 'cli' || PHP_SAPI === 'phpdbg';
        $allowed = in_array($enable, ['1', 'on', 'true', 'yes'], true) || ($enable === 'preload' && $cli);
        if (!$allowed) {
            $this->degrade(
                sprintf('ffi.enable is "%s" for this %s process, so it may not load the engine.', $enable === '' ? '0' : $enable, PHP_SAPI),
                $cli
                    ? 'Set ffi.enable=preload (the default) or 1 in the CLI php.ini, or run php with -d ffi.enable=1.'
                    : sprintf(
                        'Add `php_admin_value[ffi.enable] = 1` to the PHP-FPM pool, or preload the engine: `opcache.preload=%s` with `opcache.preload_user=<pool user>`.',
                        $this->pluginDir . '/preload.php'
                    )
            );
            return null;
        }
        $library = $this->libraryPath();
        $header = $this->headerPath();
        if ($library === null || $header === null) {
            $this->degrade(
                sprintf('The engine library was not found (looked for %s).', implode(', ', $this->libraryCandidates())),
                'Install the plugin package built with `make plugin`, or set MULTISITE_WEBHOOKS_LIBRARY to the absolute path of libmultisite_webhooks.so.'
            );
            return null;
        }
        $engine = FfiEngine::fromHeader($header, $library);
        $this->mode = self::MODE_FFI;
        return $engine;
    }

    private function degrade(string $reason, string $fix): void
    {
        $this->mode = self::MODE_DEGRADED;
        $this->reason = $reason;
        $this->fix = $fix;
    }

    /**
     * `ffi`, `preload` or `degraded` (after load()).
     */
    public function mode(): string
    {
        $this->load();
        return $this->mode;
    }

    /**
     * Why the engine is not reachable (empty when it is).
     */
    public function reason(): string
    {
        $this->load();
        return $this->reason;
    }

    /**
     * The one thing to change (empty when nothing is wrong).
     */
    public function fix(): string
    {
        $this->load();
        return $this->fix;
    }

    /**
     * @return list<string>
     */
    private function libraryCandidates(): array
    {
        $c = [];
        if (defined('MULTISITE_WEBHOOKS_LIBRARY')) {
            $c[] = (string) constant('MULTISITE_WEBHOOKS_LIBRARY');
        }
        $c[] = $this->pluginDir . '/lib/libmultisite_webhooks.so';
        // A development checkout: the plugin folder inside the repository.
        $c[] = dirname($this->pluginDir) . '/target/release/libmultisite_webhooks.so';
        return $c;
    }

    /**
     * The absolute path of the library, if found.
     */
    public function libraryPath(): ?string
    {
        foreach ($this->libraryCandidates() as $path) {
            if (is_file($path)) {
                return (string) realpath($path);
            }
        }
        return null;
    }

    /**
     * The generated C header, if found.
     */
    public function headerPath(): ?string
    {
        foreach ([$this->pluginDir . '/lib/multisite_webhooks.h', dirname($this->pluginDir) . '/include/multisite_webhooks.h'] as $path) {
            if (is_file($path)) {
                return $path;
            }
        }
        return null;
    }
}
