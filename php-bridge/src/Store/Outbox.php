<?php
/**
 * The outbox: where events wait when the PHP process that raised them cannot reach the
 * engine (FFI disabled in the web pool, spool unwritable). A CLI or cron process moves them in.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Store;

use MultisiteWebhooks\Engine\Engine;
use MultisiteWebhooks\Engine\EngineException;

/**
 * A small table of events not yet handed to the engine.
 */
final class Outbox
{
    /** Crockford's base-32 alphabet, as the engine writes message ids. */
    private const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

    /**
     * Stores an event under a new message id — the `webhook-id` its receivers will see, the
     * same form the engine gives (`msg_` + a ULID) — and returns the id ('' when the database
     * refused the row). With `$webhookId`, the row is for that webhook only (the targeted
     * record of an event whose listeners get different payloads), under the id `$eventId`
     * its other rows share.
     */
    public function add(string $event, string $payloadJson, string $reason, ?string $eventId = null, int $webhookId = 0): string
    {
        global $wpdb;
        $id = $eventId ?? self::newId();
        $ok = $wpdb->insert(Schema::table('outbox'), [
            'event_id' => $id,
            'webhook_id' => $webhookId,
            'event' => $event,
            'payload' => $payloadJson,
            'reason' => mb_substr($reason, 0, 255),
            'date_created' => gmdate('Y-m-d H:i:s'),
        ], ['%s', '%d', '%s', '%s', '%s', '%s']);
        return $ok ? $id : '';
    }

    /**
     * Whether the event with this id waits here.
     */
    public function has(string $eventId): bool
    {
        global $wpdb;
        return (int) $wpdb->get_var($wpdb->prepare('SELECT COUNT(*) FROM ' . Schema::table('outbox') . ' WHERE event_id = %s', $eventId)) > 0; // SQL safe: table name only.
    }

    /**
     * A message id: `msg_`, then 48 bits of milliseconds and 80 random bits in 26 Crockford
     * base-32 characters (a ULID), so ids sort by when events were raised (`$ms`: now unless given).
     */
    public static function newId(?int $ms = null): string
    {
        $ms ??= (int) floor(microtime(true) * 1000);
        $time = '';
        for ($i = 0; $i < 10; $i++) {
            $time = self::CROCKFORD[$ms % 32] . $time;
            $ms = intdiv($ms, 32);
        }
        $bits = '';
        foreach (str_split(random_bytes(10)) as $byte) {
            $bits .= str_pad(decbin(ord($byte)), 8, '0', STR_PAD_LEFT);
        }
        $random = '';
        foreach (str_split($bits, 5) as $five) {
            $random .= self::CROCKFORD[bindec($five)];
        }
        return 'msg_' . $time . $random;
    }

    /**
     * Events waiting.
     */
    public function count(): int
    {
        global $wpdb;
        return (int) $wpdb->get_var('SELECT COUNT(*) FROM ' . Schema::table('outbox')); // SQL safe: table name only.
    }

    /**
     * The oldest waiting event's age in seconds (0 if none).
     */
    public function oldestAge(): int
    {
        global $wpdb;
        $d = $wpdb->get_var('SELECT MIN(date_created) FROM ' . Schema::table('outbox')); // SQL safe: table name only.
        return $d ? max(0, time() - (int) strtotime($d . ' UTC')) : 0;
    }

    /**
     * Moves up to `$max` events (and about `$maxBytes` of payload: at least one) into the
     * engine, oldest first, so one huge row never wedges the move nor exhausts memory. An
     * event the engine refuses (it never could be sent) is handed to `$refused` — kept in the
     * delivery log as refused, never dropped in silence — and removed; a spool failure stops
     * the move and leaves the rest for later. Returns how many were moved.
     *
     * @param callable(string $event, EngineException $why, int $bytes):void $refused
     */
    public function drain(Engine $engine, callable $refused, int $max = 500, int $maxBytes = 8 << 20): int
    {
        global $wpdb;
        $table = Schema::table('outbox');
        // One mover at a time across the network's processes and servers.
        if ((int) $wpdb->get_var("SELECT GET_LOCK('multisite_webhooks_outbox', 0)") !== 1) {
            return 0;
        }
        try {
            return $this->move($engine, $table, $refused, $max, $maxBytes);
        } finally {
            $wpdb->query("SELECT RELEASE_LOCK('multisite_webhooks_outbox')");
        }
    }

    private function move(Engine $engine, string $table, callable $refused, int $max, int $maxBytes): int
    {
        global $wpdb;
        $sizes = $wpdb->get_results($wpdb->prepare("SELECT id, LENGTH(payload) AS bytes FROM {$table} ORDER BY id ASC LIMIT %d", $max)); // SQL safe: table name only.
        $ids = [];
        $total = 0;
        foreach ((array) $sizes as $row) {
            if ($ids !== [] && $total + (int) $row->bytes > $maxBytes) {
                break;
            }
            $ids[] = (int) $row->id;
            $total += (int) $row->bytes;
        }
        if ($ids === []) {
            return 0;
        }
        $rows = $wpdb->get_results("SELECT id, event_id, webhook_id, event, payload, date_created FROM {$table} WHERE id IN (" . implode(',', $ids) . ') ORDER BY id ASC'); // SQL safe: integers only.
        $moved = 0;
        foreach ((array) $rows as $row) {
            try {
                // Under the id reported when it was raised (rows from before ids were kept: a new one);
                // a row for one webhook through the engine's targeted path.
                if ((int) $row->webhook_id > 0) {
                    $engine->redeliver(['event_id' => (string) $row->event_id, 'endpoint_id' => (int) $row->webhook_id, 'event' => (string) $row->event,
                        'payload' => (string) $row->payload, 'timestamp' => 1000 * (int) strtotime($row->date_created . ' UTC'),
                        'redelivery' => false]);
                } elseif ((string) $row->event_id !== '') {
                    $engine->emitAs((string) $row->event_id, (string) $row->event, (string) $row->payload);
                } else {
                    $engine->emit((string) $row->event, (string) $row->payload);
                }
                $moved++;
            } catch (EngineException $e) {
                if ($e->isTransient()) {
                    break;
                }
                $refused((string) $row->event, $e, strlen((string) $row->payload));
            }
            $wpdb->delete($table, ['id' => (int) $row->id], ['%d']);
        }
        return $moved;
    }
}
