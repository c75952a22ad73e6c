<?php
/**
 * `wp webhook delivery`: the delivery log, and sending logged events again.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Cli;

use MultisiteWebhooks\Store\Deliveries;
use MultisiteWebhooks\Plugin;
use MultisiteWebhooks\Settings;

/**
 * Lists and shows delivery attempts, and redelivers them.
 *
 * ## EXAMPLES
 *
 *     $ wp webhook delivery list --status=failed --since=yesterday
 *     $ wp webhook delivery retry --all-failed --since="2 days ago"
 */
final class DeliveryCommand
{
    /** Fields of an attempt, in display order: the delivery log's record of one attempt. */
    public const FIELDS = [...Deliveries::ATTEMPT_FIELDS, ...Deliveries::ATTEMPT_DETAIL_FIELDS];

    /** Fields `list` shows without `--fields`. */
    public const LIST_FIELDS = ['id', 'date_created', 'webhook_id', 'event', 'event_id', 'attempt', 'outcome', 'status_code', 'duration_ms'];

    private Plugin $plugin;

    public function __construct(?Plugin $plugin = null)
    {
        $this->plugin = $plugin ?? Commands::plugin();
    }

    /**
     * Lists delivery attempts, newest first (imports finished attempts from the engine first).
     *
     * ## OPTIONS
     *
     * [--webhook=<id>]
     * : Only attempts to this webhook.
     *
     * [--event=<slug>]
     * : Only attempts of this event type.
     *
     * [--status=<status>]
     * : Only attempts with this outcome: delivered, failed, retrying, cancelled, refused, or
     * failing (failed or retrying).
     *
     * [--since=<date>]
     * : Only attempts at or after this date (UTC; anything strtotime() reads, e.g. "yesterday").
     *
     * [--per_page=<n>]
     * : How many to show (1-1000). Defaults to 50.
     *
     * [--field=<field>]
     * : Print only this field of each attempt, one per line.
     *
     * [--fields=<fields>]
     * : Comma-separated fields to show. Defaults to id,date_created,webhook_id,event,event_id,attempt,outcome,status_code,duration_ms.
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
     *   - ids
     *   - count
     * ---
     *
     * ## EXAMPLES
     *
     *     # What finally failed for webhook 4 (also after it was deleted)
     *     $ wp webhook delivery list --webhook=4 --status=failed
     *
     *     # The last hour, as JSON
     *     $ wp webhook delivery list --since="1 hour ago" --format=json
     *
     * @subcommand list
     *
     * @param list<string>         $args
     * @param array<string, mixed> $assoc
     */
    public function list_(array $args, array $assoc): void
    {
        $filters = $this->filters($assoc);
        Output::format($assoc);
        $per = isset($assoc['per_page']) ? (string) $assoc['per_page'] : '50';
        if (!ctype_digit($per) || (int) $per < 1 || (int) $per > 1000) {
            \WP_CLI::error(sprintf('--per_page is a number from 1 to 1000, not "%s".', $per));
        }
        $this->plugin->importer()->run(2.0);
        if (($assoc['format'] ?? '') === 'count') {
            \WP_CLI\Utils\format_items('count', array_fill(0, $this->plugin->deliveries()->count($filters), 0), []);
            return;
        }
        $rows = array_map(static fn (array $d): array => Deliveries::attempt($d, true), $this->plugin->deliveries()->list($filters + ['per_page' => (int) $per]));
        Output::items($assoc, $rows, self::LIST_FIELDS, self::FIELDS);
    }

    /**
     * Shows one delivery attempt, with its headers, its payload and the answer.
     *
     * ## OPTIONS
     *
     * <id>
     * : The delivery id (see `wp webhook delivery list`).
     *
     * [--fields=<fields>]
     * : Comma-separated fields to show. Defaults to all.
     *
     * [--field=<field>]
     * : Print only the value of this field.
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
     *     # Every field of attempt 812, headers and payload included
     *     $ wp webhook delivery get 812
     *
     *     # What the receiver answered, as one JSON object
     *     $ wp webhook delivery get 812 --fields=status_code,response_excerpt --format=json
     *     {"status_code":500,"response_excerpt":"Internal Server Error"}
     *
     *     # Only the payload that was sent
     *     $ wp webhook delivery get 812 --field=payload
     *
     * @param list<string>         $args
     * @param array<string, mixed> $assoc
     */
    public function get(array $args, array $assoc): void
    {
        $d = Deliveries::attempt($this->delivery($args[0] ?? ''), true);
        $d['payload'] = $this->plugin->deliveries()->payload($d['event_id']);
        Output::item($assoc, $d, array_merge(self::FIELDS, ['payload']));
    }

    /**
     * Sends logged events again to their webhooks and says what happened to each.
     *
     * Each is queued with its `webhook-id` (so receivers can de-duplicate); then the command
     * waits for the first new attempt of each — only those, not the rest of the queue, up to
     * MULTISITE_WEBHOOKS_FLUSH_TIMEOUT. With --all-failed it asks for confirmation unless
     * --yes.
     *
     * ## OPTIONS
     *
     * [<id>...]
     * : Delivery ids. Nothing is queued when any of them does not exist.
     *
     * [--all-failed]
     * : Every event whose delivery finally failed (tests excluded), once per event and webhook.
     *
     * [--since=<date>]
     * : With --all-failed: only failures at or after this date (UTC).
     *
     * [--webhook=<id>]
     * : With --all-failed: only failures of this webhook.
     *
     * [--yes]
     * : With --all-failed: answer yes to the confirmation message.
     *
     * ## EXAMPLES
     *
     *     # Send two logged deliveries again
     *     $ wp webhook delivery retry 812 813
     *
     *     # Everything that failed for good in the last two days, without being asked
     *     $ wp webhook delivery retry --all-failed --since="2 days ago" --yes
     *
     * @param list<string>         $args
     * @param array<string, mixed> $assoc
     */
    public function retry(array $args, array $assoc): void
    {
        $all = (bool) \WP_CLI\Utils\get_flag_value($assoc, 'all-failed', false);
        if ($all === ($args !== [])) {
            \WP_CLI::error('Give delivery ids or --all-failed (one of the two).');
        }
        if (!$all && (isset($assoc['since']) || isset($assoc['webhook']))) {
            \WP_CLI::error('--since and --webhook go with --all-failed.');
        }
        $after = $this->plugin->deliveries()->lastId();
        if (!$all && isset($assoc['yes'])) {
            \WP_CLI::error('--yes goes with --all-failed.');
        }
        if ($all) {
            $filters = $this->filters($assoc);
            \WP_CLI::confirm('Send every event that failed for good' . (isset($assoc['webhook']) ? ' to webhook ' . (int) $assoc['webhook'] : '')
                . (isset($assoc['since']) ? ' since ' . $assoc['since'] : '') . ' again?', $assoc);
            $this->plugin->importer()->run(2.0);
            $after = $this->plugin->deliveries()->lastId();
            // The same rule as the admin's "Redeliver all failed": each event that failed for
            // good and was not delivered since, once per event and webhook.
            $r = $this->plugin->operations()->redeliverFailed($filters, 100000);
            if ($r['skipped'] > 0) {
                \WP_CLI::log(sprintf('Left out %d failed events whose webhook was deleted.', $r['skipped']));
            }
            if ($r['total'] === 0 || $r['total'] === $r['skipped']) {
                \WP_CLI::success('No failed deliveries to retry.');
                return;
            }
            $queued = $r['queued'];
            $problems = [];
            foreach ($r['problems'] as $id => $message) {
                $problems[] = sprintf('delivery %d: %s', $id, $message);
            }
            $count = $r['total'] - $r['skipped'];
            $queuedIds = $r['queued_ids'];
        } else {
            $targets = (new Fetcher($this->plugin))->all('delivery', $args);
            $progress = count($targets) > 1 ? \WP_CLI\Utils\make_progress_bar(sprintf('Queueing %d deliveries', count($targets)), count($targets)) : null;
            $queued = 0;
            $problems = [];
            $queuedIds = [];
            foreach ($targets as $d) {
                $res = $this->plugin->operations()->redeliver((int) $d['id']);
                if (is_wp_error($res)) {
                    $problems[] = sprintf('delivery %d: %s', $d['id'], $res->get_error_message());
                } else {
                    $queued++;
                    $queuedIds[] = (int) $d['id'];
                }
                if ($progress !== null) {
                    $progress->tick();
                }
            }
            if ($progress !== null) {
                $progress->finish();
            }
            $count = count($targets);
        }
        foreach ($problems as $p) {
            \WP_CLI::warning($p);
        }
        if ($queued > 0) {
            $this->await($queuedIds, $after);
        }
        if ($problems !== []) {
            \WP_CLI::error(sprintf('Queued %d of %d deliveries; the others could not be queued (see above).', $queued, $count));
        }
        \WP_CLI::success(sprintf($queued === 1 ? 'Queued %d delivery again.' : 'Queued %d deliveries again.', $queued));
    }

    /**
     * Waits for the first new attempt of each redelivered entry (logged after `$after`) and
     * says what happened to each.
     *
     * @param list<int> $ids Delivery ids queued again.
     */
    private function await(array $ids, int $after): void
    {
        $names = array_column($this->plugin->webhooks()->list(['per_page' => 1000]), 'name', 'id');
        $targets = [];
        foreach ($ids as $id) {
            $d = $this->plugin->deliveries()->get($id);
            if ($d !== null) {
                $targets[] = ['event_id' => (string) $d['event_id'], 'webhook_id' => (int) $d['webhook_id'], 'name' => (string) ($names[$d['webhook_id']] ?? ''), 'after' => $after];
            }
        }
        $seconds = Settings::flushTimeoutMs() / 1000;
        try {
            Output::deliveries($this->plugin->operations()->awaitDeliveries($targets, $seconds), $seconds);
        } catch (\Throwable $e) {
            \WP_CLI::warning('Could not wait for the deliveries: ' . $e->getMessage());
        }
    }

    /**
     * Log filters from `--webhook`, `--event`, `--status`, `--since`, checked.
     *
     * @param array<string, mixed> $assoc
     * @return array<string, mixed>
     */
    private function filters(array $assoc): array
    {
        $f = [];
        if (isset($assoc['webhook'])) {
            // A deleted webhook's history stays in the log until it ages out.
            $f['webhook_id'] = (new Fetcher($this->plugin))->loggedWebhookId($assoc['webhook']);
        }
        if (isset($assoc['event']) && $assoc['event'] !== true) {
            $f['event'] = (string) $assoc['event'];
        }
        if (isset($assoc['status'])) {
            $f['status'] = Output::oneOf('status', $assoc['status'], Deliveries::STATUS_FILTERS);
        }
        if (isset($assoc['since'])) {
            $since = $assoc['since'] === true ? '' : (string) $assoc['since'];
            if (trim($since) === '' || strtotime($since . ' UTC') === false) {
                \WP_CLI::error(sprintf('Cannot read the date "%s": use e.g. 2024-05-01, "2024-05-01 12:00" or "2 days ago".', $since));
            }
            $f['since'] = $since;
        }
        return $f;
    }

    /**
     * The attempt with this id, or a WP-CLI error (Fetcher).
     *
     * @param mixed $id
     * @return array<string, mixed>
     */
    private function delivery($id): array
    {
        return (new Fetcher($this->plugin))->delivery($id);
    }
}
