<?php
/**
 * Moves finished attempts from the engine into the delivery log and the webhooks' counters.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks;

use MultisiteWebhooks\Engine\EngineException;

/**
 * Imports results (idempotently: an attempt seen before changes nothing).
 */
final class Importer
{
    private Plugin $plugin;

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
    }

    /**
     * Network option: `['total' => the engine's running count of dropped journal entries last
     * seen, 'lost' => how many were lost since the notice was last dismissed, 'time' => when]`.
     */

    /** Entries and bytes read from the engine per batch: memory stays bounded whatever the payloads. */
    private const BATCH = 500;
    private const BATCH_BYTES = 4 << 20;

    /**
     * Imports for at most `$seconds`; returns how many new attempts were recorded. Each batch
     * is written to the database before the engine is told to let it go, so an import that
     * dies half-way loses nothing (and the next one skips what it already recorded). Never
     * throws: a problem is noted for the network admin.
     */
    public function run(float $seconds = 5.0): int
    {
        $engine = $this->plugin->engine();
        if (!$engine->delivers()) {
            return 0;
        }
        $end = microtime(true) + $seconds;
        $imported = 0;
        try {
            do {
                $batch = $engine->takeResults(self::BATCH, self::BATCH_BYTES);
                $this->storeEvents($batch['events']);
                $imported += $this->import($batch['attempts']);
                if ($batch['ack'] !== '') {
                    $engine->ackResults($batch['ack']);
                }
                $this->noteDropped($batch['dropped']);
            } while ($batch['more'] && microtime(true) < $end);
        } catch (\Throwable $e) {
            $this->plugin->emitter()->noteError($e->getMessage(), $e instanceof EngineException ? $e->kind() : 'internal');
        }
        return $imported;
    }

    /**
     * Keeps each event's payload once, exactly the bytes the engine accepted.
     *
     * @param list<array<string, mixed>> $events
     */
    private function storeEvents(array $events): void
    {
        $deliveries = $this->plugin->deliveries();
        foreach ($events as $e) {
            if (isset($e['event_id'], $e['payload']) && is_string($e['payload'])) {
                $deliveries->storePayload((string) $e['event_id'], (string) ($e['event'] ?? ''), $e['payload'], (int) ($e['timestamp'] ?? 0));
            }
        }
    }

    /**
     * Tells the network admin when the engine had to drop journal entries nobody imported.
     */
    private function noteDropped(int $total): void
    {
        $seen = (array) get_site_option(Options::DROPPED_SEEN, []);
        $before = (int) ($seen['total'] ?? 0);
        if ($total < $before) {
            $before = 0; // A new spool counts from zero again.
        }
        if ($total > $before) {
            update_site_option(Options::DROPPED_SEEN, ['total' => $total, 'lost' => (int) ($seen['lost'] ?? 0) + $total - $before, 'time' => time()]);
        }
    }

    /**
     * Records a batch of results; returns how many were new.
     *
     * @param list<array<string, mixed>> $results
     */
    public function import(array $results): int
    {
        $deliveries = $this->plugin->deliveries();
        $webhooks = $this->plugin->webhooks();
        $counts = [];
        $new = 0;
        foreach ($results as $r) {
            if (!is_array($r) || empty($r['attempt_id'])) {
                continue;
            }
            if (!$deliveries->record($r)) {
                continue;
            }
            $new++;
            $id = (int) ($r['endpoint_id'] ?? 0);
            $c = $counts[$id] ?? ['sent' => 0, 'failures' => 0, 'last_failed' => null, 'last' => null, 'status' => null, 'disabled' => null];
            $outcome = (string) ($r['outcome'] ?? '');
            $when = gmdate('Y-m-d H:i:s', intdiv((int) ($r['started_at'] ?? 0), 1000));
            if ($outcome !== 'cancelled') {
                if ((int) ($r['attempt'] ?? 0) === 1) {
                    $c['sent']++;
                }
                if ($c['last'] === null || $when >= $c['last']) {
                    $c['last'] = $when;
                    $c['status'] = isset($r['status']) ? (string) $r['status'] : 'error';
                }
            }
            if ($outcome === 'retrying' || $outcome === 'failed') {
                $c['failures']++;
                $c['last_failed'] = max((string) $c['last_failed'], $when);
            }
            if (!empty($r['endpoint_disabled'])) {
                $c['disabled'] = [(string) $r['endpoint_disabled'], (int) ($r['status'] ?? 0) === 410 ? 'gone' : 'failing'];
            }
            $counts[$id] = $c;
        }
        foreach ($counts as $id => $c) {
            $webhooks->addCounts($id, $c['sent'], $c['failures'], $c['last_failed'] ?: null, $c['last'], $c['status']);
            if ($c['disabled'] !== null) {
                $webhooks->markDisabled($id, $c['disabled'][0], $c['disabled'][1]);
            }
        }
        return $new;
    }
}
