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
     * Imports for at most `$seconds`; returns how many new attempts were recorded.
     */
    public function run(float $seconds = 5.0): int
    {
        $engine = $this->plugin->engine();
        if ($engine === null) {
            return 0;
        }
        $end = microtime(true) + $seconds;
        $imported = 0;
        do {
            try {
                $batch = $engine->takeResults(500);
            } catch (EngineException $e) {
                $this->plugin->dispatcher()->noteError($e->getMessage());
                break;
            }
            $imported += $this->import($batch);
        } while ($batch !== [] && microtime(true) < $end);
        return $imported;
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
            if (isset($r['payload']) && (int) ($r['attempt'] ?? 0) <= 1) {
                $deliveries->storePayload((string) $r['event_id'], (string) $r['event'],
                    (string) wp_json_encode($r['payload'], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION),
                    (int) ($r['event_timestamp'] ?? 0));
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
                $c['disabled'] = (string) $r['endpoint_disabled'];
            }
            $counts[$id] = $c;
        }
        foreach ($counts as $id => $c) {
            $webhooks->addCounts($id, $c['sent'], $c['failures'], $c['last_failed'] ?: null, $c['last'], $c['status']);
            if ($c['disabled'] !== null) {
                $webhooks->markDisabled($id, $c['disabled']);
            }
        }
        return $new;
    }
}
