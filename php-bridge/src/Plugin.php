<?php
/**
 * The plugin's composition root: builds the services once and attaches them to WordPress.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks;

use MultisiteWebhooks\Engine\Engine;
use MultisiteWebhooks\Engine\Loader;
use MultisiteWebhooks\Engine\OutboxEngine;
use MultisiteWebhooks\Events\Catalog;
use MultisiteWebhooks\Events\CoreEvents;
use MultisiteWebhooks\Events\UltimateMultisite;
use MultisiteWebhooks\Store\Deliveries;
use MultisiteWebhooks\Store\Jobs;
use MultisiteWebhooks\Store\Outbox;
use MultisiteWebhooks\Store\Schema;
use MultisiteWebhooks\Store\Webhooks;

/**
 * Holds the plugin's services. Everything is built lazily, so a page view that emits nothing
 * only pays for attaching a few hooks.
 */
final class Plugin
{
    /** Plugin version. */
    public const VERSION = '0.1.0';

    /** The engine library version this plugin was built with. */
    public const ENGINE_VERSION = '0.1.0';

    /** The capability every page, AJAX action, REST route and notice of the plugin requires. */
    public const CAPABILITY = 'manage_network_options';

    /** Text domain. */
    public const TEXT_DOMAIN = 'multisite-webhooks';

    private static ?Plugin $instance = null;

    private string $file;
    private ?Loader $loader = null;
    private ?Catalog $catalog = null;
    private ?Emitter $emitter = null;
    private ?Webhooks $webhooks = null;
    private ?Deliveries $deliveries = null;
    private ?Outbox $outbox = null;
    private ?Jobs $jobs = null;
    private ?Importer $importer = null;
    private ?Operations $operations = null;
    private ?OutboxEngine $outboxEngine = null;
    private ?UltimateMultisiteImport $umImport = null;
    /** Whether the catalog holds the sources registered on `init` (Ultimate Multisite's). */
    private bool $catalogComplete = false;
    /** @var array<string, mixed>|null */
    private ?array $engineSettings = null;

    private function __construct(string $file)
    {
        $this->file = $file;
    }

    /**
     * Creates the plugin and attaches it to WordPress. Called once from the main file.
     */
    public static function boot(string $file): void
    {
        if (self::$instance !== null) {
            return;
        }
        self::$instance = new self($file);
        self::$instance->attach();
    }

    /**
     * The running plugin.
     */
    public static function instance(): self
    {
        if (self::$instance === null) {
            throw new \LogicException('Multisite Webhooks is not booted.');
        }
        return self::$instance;
    }

    /**
     * The main plugin file.
     */
    public function file(): string
    {
        return $this->file;
    }

    /**
     * The plugin directory, without a trailing slash.
     */
    public function dir(): string
    {
        return dirname($this->file);
    }

    private function attach(): void
    {
        register_activation_hook($this->file, [$this, 'activate']);
        add_action('plugins_loaded', [$this, 'loadTextDomain']);
        add_action('admin_init', [Schema::class, 'maybeUpgrade']);
        // A network admin looking at the network sees deliveries up to this moment.
        add_action('admin_init', function (): void {
            if (is_network_admin() && current_user_can(self::CAPABILITY)) {
                $this->importer()->run(0.5);
            }
        }, 20);
        // Retries and events of processes that exited need a delivering process: when the
        // spool has none alive, this PHP-FPM worker becomes it (after its own page is done).
        add_action('shutdown', [$this, 'ensureDeliveryLeader'], 1000);
        add_action('multisite_webhooks_config_changed', function (): void {
            $this->emitter()->configChanged();
        });
        CoreEvents::attach($this);
        UltimateMultisite::attach($this);
        Cron::attach($this);
        Notices::attach($this);
        if (is_admin()) {
            Admin\Admin::attach($this);
        }
        add_action('rest_api_init', function (): void {
            Rest\Controller::registerAll($this);
        });
        if (defined('WP_CLI') && WP_CLI) {
            Cli\Commands::register($this);
        }
        /**
         * Fires once Multisite Webhooks has attached its hooks.
         *
         * @since 0.1.0
         *
         * @param Plugin $plugin The plugin.
         */
        do_action('multisite_webhooks_loaded', $this);
    }

    /**
     * Network activation: the tables, then whether the spool would be served over HTTP (the
     * verdict shows in Health and `wp webhook doctor`; a served spool is refused).
     */
    public function activate(): void
    {
        Schema::activate();
        try {
            SpoolExposure::check(Settings::spoolDir());
        } catch (\Throwable $e) {
            $this->emitter()->noteError($e->getMessage(), 'internal');
        }
    }

    /**
     * Starts the engine in this web worker if no process on this server is delivering.
     * Costs a file read and a stat when one is (the usual case).
     */
    public function ensureDeliveryLeader(): void
    {
        if (PHP_SAPI === 'cli' || $this->loader !== null && $this->loader->mode() === Loader::MODE_DEGRADED) {
            return;
        }
        $pid = (int) @file_get_contents(Settings::spoolDir() . '/leader.lock'); // Silenced: absent before the first leader.
        if ($pid > 0 && is_dir('/proc/' . $pid)) {
            return;
        }
        try {
            $this->engine();
        } catch (\Throwable $e) {
            $this->emitter()->noteError($e->getMessage()); // Never let this reach the page.
        }
    }

    /**
     * Loads translations.
     */
    public function loadTextDomain(): void
    {
        load_plugin_textdomain(self::TEXT_DOMAIN, false, dirname(plugin_basename($this->file)) . '/languages');
    }

    /**
     * The engine loader (knows the mode and, when degraded, why).
     */
    public function loader(): Loader
    {
        return $this->loader ??= new Loader($this->dir(), self::ENGINE_VERSION);
    }

    /**
     * The engine of this process, started with the network's settings; in degraded mode the
     * outbox engine, which keeps events in the database (its delivers() is false).
     */
    public function engine(): Engine
    {
        return $this->loader()->engine($this->engineSettings()) ?? $this->outboxEngine();
    }

    /**
     * The engine settings of this process (Settings::engine(), built once per request: every
     * emit asks for the engine).
     *
     * @return array<string, mixed>
     */
    public function engineSettings(): array
    {
        return $this->engineSettings ??= Settings::engine();
    }

    /**
     * The outbox engine: where events go when this process cannot reach the delivery engine.
     */
    public function outboxEngine(): OutboxEngine
    {
        return $this->outboxEngine ??= new OutboxEngine(
            $this->outbox(),
            $this->loader()->reason() ?: __('The delivery engine could not take the event.', 'multisite-webhooks'),
            (int) ($this->engineSettings()['max_payload_bytes'] ?? Payload::DEFAULT_MAX_BYTES)
        );
    }

    /**
     * The event catalog.
     */
    public function catalog(): Catalog
    {
        if ($this->catalog !== null && !$this->catalogComplete && did_action('init') > 0 && !doing_action('init')) {
            // Built early (custom code registered an event before init): Ultimate Multisite
            // registers its event types on init, so ask again now.
            $this->catalogComplete = true;
            UltimateMultisite::register($this->catalog);
            do_action('multisite_webhooks_register_events', $this->catalog);
        }
        if ($this->catalog === null) {
            $this->catalogComplete = did_action('init') > 0 && !doing_action('init');
            $this->catalog = new Catalog();
            CoreEvents::register($this->catalog);
            UltimateMultisite::register($this->catalog);
            /**
             * Fires when the event catalog is first needed: register custom event types here
             * with hooks_register_event() or $catalog->register().
             *
             * @since 0.1.0
             *
             * @param Catalog $catalog The catalog.
             */
            do_action('multisite_webhooks_register_events', $this->catalog);
        }
        return $this->catalog;
    }

    /**
     * Where events go.
     */
    public function emitter(): Emitter
    {
        return $this->emitter ??= new Emitter($this);
    }

    /**
     * The webhooks table.
     */
    public function webhooks(): Webhooks
    {
        if ($this->webhooks === null) {
            // The tables match this version before anything reads or writes them (an upgrade
            // reaches CLI, REST and cron before any admin page is opened).
            Schema::maybeUpgrade();
            $this->webhooks = new Webhooks();
        }
        return $this->webhooks;
    }

    /**
     * The delivery log.
     */
    public function deliveries(): Deliveries
    {
        if ($this->deliveries === null) {
            Schema::maybeUpgrade(); // The columns this version writes exist before any write.
            $this->deliveries = new Deliveries();
        }
        return $this->deliveries;
    }

    /**
     * The outbox used when this PHP process cannot reach the engine.
     */
    public function outbox(): Outbox
    {
        if ($this->outbox === null) {
            Schema::maybeUpgrade();
            $this->outbox = new Outbox();
        }
        return $this->outbox;
    }

    /**
     * Jobs handed over by web requests without the engine, and the delivery worker's heartbeat.
     */
    public function jobs(): Jobs
    {
        if ($this->jobs === null) {
            Schema::maybeUpgrade();
            $this->jobs = new Jobs();
        }
        return $this->jobs;
    }

    /**
     * Makes this process the server's delivery worker: the engine (re)starts with
     * `delivery_worker`, so it leads and the other processes leave delivery to it.
     */
    public function becomeDeliveryWorker(): void
    {
        Settings::actAsDeliveryWorker();
        $this->engineSettings = null;
    }

    /**
     * Test sends, redeliveries and health, shared by the admin, REST and WP-CLI.
     */
    public function operations(): Operations
    {
        return $this->operations ??= new Operations($this);
    }

    /**
     * Imports Ultimate Multisite's webhooks (all, or one saved there after the take-over).
     */
    public function umImport(): UltimateMultisiteImport
    {
        return $this->umImport ??= new UltimateMultisiteImport($this);
    }

    /**
     * Moves finished attempts from the engine into the delivery log.
     */
    public function importer(): Importer
    {
        return $this->importer ??= new Importer($this);
    }
}
