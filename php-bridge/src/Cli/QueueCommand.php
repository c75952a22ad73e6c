<?php
/**
 * `wp webhook queue`: the delivery engine's queue on this server.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Cli;

use MultisiteWebhooks\Plugin;
use MultisiteWebhooks\Settings;

/**
 * Shows and drains the delivery queue.
 *
 * ## EXAMPLES
 *
 *     $ wp webhook queue status
 *     $ wp webhook queue flush --timeout=30
 */
final class QueueCommand
{
    /** Fields of `status`, in display order. */
    public const FIELDS = ['mode', 'depth', 'queued', 'in_flight', 'retrying', 'parked', 'parked_by_webhook', 'leader_pid', 'leader_alive',
        'last_error', 'outbox', 'delivered', 'failed', 'spool_dir'];

    private Plugin $plugin;

    public function __construct(?Plugin $plugin = null)
    {
        $this->plugin = $plugin ?? Commands::plugin();
    }

    /**
     * Shows the delivery queue on this server.
     *
     * Depth (= queued + in flight + retrying + parked), parked per webhook (its endpoint is
     * unreachable: the circuit is open until the next probe), the delivering process (leader),
     * the engine's last error and the database outbox.
     *
     * ## OPTIONS
     *
     * [--field=<field>]
     * : Print only the value of this field.
     *
     * [--fields=<fields>]
     * : Comma-separated fields to show. Defaults to all.
     *
     * [--format=<format>]
     * : Output format.
     * ---
     * default: table
     * options:
     *   - table
     *   - json
     *   - csv
     *   - yaml
     * ---
     *
     * ## EXAMPLES
     *
     *     # Every figure
     *     $ wp webhook queue status
     *
     *     # Two of them, as one JSON object
     *     $ wp webhook queue status --fields=depth,leader_pid --format=json
     *     {"depth":0,"leader_pid":4242}
     *
     *     # Only how many deliveries wait
     *     $ wp webhook queue status --field=depth
     *     0
     *
     * @param list<string>         $args
     * @param array<string, mixed> $assoc
     */
    public function status(array $args, array $assoc): void
    {
        Output::format($assoc, Output::ITEM_FORMATS);
        $engine = $this->plugin->engine();
        if (!$engine->delivers()) {
            \WP_CLI::log(sprintf('Outbox: %d events waiting for a process that can reach the engine.', $this->plugin->outbox()->count()));
            \WP_CLI::error($this->plugin->loader()->reason() . ' ' . $this->plugin->loader()->fix());
        }
        try {
            $s = $engine->stats();
        } catch (\Throwable $e) {
            \WP_CLI::error('The engine could not report its queue: ' . $e->getMessage() . ' Run `wp webhook doctor`.');
        }
        $pid = isset($s['leader_pid']) ? (int) $s['leader_pid'] : 0;
        $row = [
            'mode' => $this->plugin->loader()->mode(),
            'depth' => (int) ($s['queue_depth'] ?? 0),
            'queued' => (int) ($s['queued'] ?? 0),
            'in_flight' => (int) ($s['in_flight'] ?? 0),
            'retrying' => (int) ($s['retrying'] ?? 0),
            'parked' => (int) ($s['parked'] ?? 0),
            'parked_by_webhook' => Output::parked($s),
            'leader_pid' => $pid > 0 ? $pid : null,
            'leader_alive' => $pid > 0 && is_dir('/proc/' . $pid),
            'last_error' => isset($s['last_error']) ? (string) $s['last_error'] : '',
            'outbox' => $this->plugin->outbox()->count(),
            'delivered' => (int) ($s['delivered'] ?? 0),
            'failed' => (int) ($s['failed'] ?? 0),
            'spool_dir' => (string) ($s['spool_dir'] ?? Settings::spoolDir()),
        ];
        Output::item($assoc, $row, self::FIELDS);
    }

    /**
     * Delivers what is due now and records the results in the delivery log.
     *
     * Moves events waiting in the outbox to the engine, waits until nothing is due or in
     * flight, and imports the results. Exits non-zero when the timeout passes first (nothing
     * is lost: the rest stays queued).
     *
     * ## OPTIONS
     *
     * [--timeout=<seconds>]
     * : How long to wait at most. Defaults to MULTISITE_WEBHOOKS_FLUSH_TIMEOUT (10 s).
     *
     * ## EXAMPLES
     *
     *     # Wait up to a minute for everything due
     *     $ wp webhook queue flush --timeout=60
     *     Success: Nothing is due or in flight (0 retrying later, 0 parked); 12 attempts recorded in the delivery log.
     *
     * @param list<string>         $args
     * @param array<string, mixed> $assoc
     */
    public function flush(array $args, array $assoc): void
    {
        $timeoutMs = Settings::flushTimeoutMs();
        if (isset($assoc['timeout'])) {
            $t = $assoc['timeout'] === true ? '' : (string) $assoc['timeout'];
            if (!is_numeric($t) || (float) $t < 0 || (float) $t > 86400) {
                \WP_CLI::error(sprintf('--timeout is a number of seconds from 0 to 86400, not "%s".', $t));
            }
            $timeoutMs = (int) round((float) $t * 1000);
        }
        $engine = $this->plugin->engine();
        if (!$engine->delivers()) {
            \WP_CLI::error($this->plugin->loader()->reason() . ' ' . $this->plugin->loader()->fix());
        }
        try {
            $this->plugin->emitter()->sync($engine, true);
            $moved = 0;
            while (($n = $this->plugin->outbox()->drain($engine, [$this->plugin->emitter(), 'refuseFromOutbox'])) > 0) {
                $moved += $n;
            }
            if ($moved > 0) {
                \WP_CLI::log(sprintf('Moved %d events from the outbox to the engine.', $moved));
            }
            $done = $engine->flush($timeoutMs);
            $imported = $this->plugin->importer()->run(5.0);
            $s = $engine->stats();
        } catch (\Throwable $e) {
            \WP_CLI::error('The engine could not flush: ' . $e->getMessage() . ' Run `wp webhook doctor`.');
        }
        $n = static fn (string $k): int => (int) ($s[$k] ?? 0);
        if (!$done) {
            \WP_CLI::error(sprintf(
                'Still %d deliveries waiting after %s s: %d due, %d in flight, %d retrying later, %d parked (endpoint unreachable); nothing is lost.'
                . ' Run again with a longer --timeout, or see `wp webhook queue status`.',
                $n('queue_depth'),
                rtrim(rtrim(number_format($timeoutMs / 1000, 3, '.', ''), '0'), '.'),
                $n('queued'),
                $n('in_flight'),
                $n('retrying'),
                $n('parked')
            ));
        }
        \WP_CLI::success(sprintf(
            'Nothing is due or in flight (%d retrying later, %d parked); %d attempts recorded in the delivery log.',
            $n('retrying'),
            $n('parked'),
            $imported
        ));
    }
}
