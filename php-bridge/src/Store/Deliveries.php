<?php
/**
 * The delivery log: one row per attempt, and the payload of each event for redelivery.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Store;

use MultisiteWebhooks\MaskedUrl;

/**
 * Attempts as the engine reported them.
 */
final class Deliveries
{
    /** Longest response excerpt stored (the engine keeps at most 20 KB). */
    private const EXCERPT_MAX = 20480;

    /** Outcome of an event refused before any attempt (too large, too deep, invalid JSON, …). */
    public const REFUSED = 'refused';

    /** Every outcome an entry can have; `failing` (failed or retrying) is a filter only. */
    public const OUTCOMES = ['delivered', 'failed', 'retrying', 'cancelled', self::REFUSED];

    /**
     * The record of one attempt, as every surface shows it (REST, WP-CLI), in display order;
     * attempt() gives it. The REST API names `outcome` `status` and writes dates in ISO 8601.
     */
    public const ATTEMPT_FIELDS = ['id', 'date_created', 'webhook_id', 'event', 'event_id', 'attempt', 'outcome', 'status_code', 'error', 'error_kind',
        'duration_ms', 'url', 'is_test', 'is_redelivery', 'next_attempt_at', 'attempt_id'];

    /** Fields of an attempt shown only when it is read on its own. */
    public const ATTEMPT_DETAIL_FIELDS = ['request_headers', 'response_headers', 'response_excerpt'];

    /** Filter on outcome: failed or retrying. */
    public const FAILING = 'failing';

    /** Every status a listing can be filtered on (admin table, REST, WP-CLI). */
    public const STATUS_FILTERS = [...self::OUTCOMES, self::FAILING];

    /**
     * Records one attempt result from the engine (idempotent: a result seen before is
     * ignored). Returns whether it was new.
     *
     * @throws \RuntimeException When the database refuses the write (nothing may be let go then).
     *
     * @param array<string, mixed> $r A result object of hooks_take_results or hooks_send_test.
     */
    public function record(array $r): bool
    {
        global $wpdb;
        $started = (int) ($r['started_at'] ?? 0);
        $next = isset($r['next_attempt_at']) ? (int) $r['next_attempt_at'] : 0;
        $error = isset($r['error']) && $r['error'] !== '' ? (string) $r['error'] : null;
        $values = [
            'attempt_id' => ['%s', (string) ($r['attempt_id'] ?? '')],
            'event_id' => ['%s', (string) ($r['event_id'] ?? '')],
            'webhook_id' => ['%d', (int) ($r['endpoint_id'] ?? 0)],
            'event' => ['%s', (string) ($r['event'] ?? '')],
            'attempt' => ['%d', (int) ($r['attempt'] ?? 0)],
            'outcome' => ['%s', (string) ($r['outcome'] ?? '')],
            'status_code' => ['%d', isset($r['status']) ? (int) $r['status'] : null],
            'error' => ['%s', $error],
            'error_kind' => ['%s', isset($r['error_kind']) && $r['error_kind'] !== '' ? (string) $r['error_kind'] : null],
            'duration_ms' => ['%d', (int) ($r['duration_ms'] ?? 0)],
            // The log keeps the address, never a credential in it.
            'url' => ['%s', MaskedUrl::of((string) ($r['url'] ?? ''))],
            'request_headers' => ['%s', self::json($r['request_headers'] ?? [])],
            'response_headers' => ['%s', self::json($r['response_headers'] ?? [])],
            'response_excerpt' => ['%s', mb_strcut((string) ($r['response_excerpt'] ?? ''), 0, self::EXCERPT_MAX)],
            'next_attempt_at' => ['%s', $next > 0 ? gmdate('Y-m-d H:i:s', intdiv($next, 1000)) : null],
            'is_test' => ['%d', !empty($r['test']) ? 1 : 0],
            'is_redelivery' => ['%d', !empty($r['redelivery']) ? 1 : 0],
            'date_created' => ['%s', gmdate('Y-m-d H:i:s', intdiv($started, 1000))],
        ];
        $placeholders = [];
        $params = [];
        foreach ($values as [$format, $value]) {
            if ($value === null) {
                $placeholders[] = 'NULL';
            } else {
                $placeholders[] = $format;
                $params[] = $value;
            }
        }
        $sql = 'INSERT IGNORE INTO ' . Schema::table('deliveries') . ' (' . implode(', ', array_keys($values)) . ') VALUES (' . implode(', ', $placeholders) . ')';
        if ($wpdb->query($wpdb->prepare($sql, $params)) === false) { // SQL safe: columns and table are constants.
            throw new \RuntimeException('database: the delivery log did not take an entry: ' . $wpdb->last_error);
        }
        return $wpdb->rows_affected === 1;
    }

    /**
     * Headers as stored: a JSON object, text outside ASCII kept as it is (the engine bounds
     * their size so that this always fits its column).
     *
     * @param mixed $headers
     */
    private static function json($headers): string
    {
        return (string) wp_json_encode((object) $headers, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
    }

    /**
     * Records an event that was refused before any webhook got it (outcome `refused`, no
     * webhook): what was raised, why it can never be sent, and how large it was.
     */
    public function recordRefused(string $event, string $kind, string $detail, int $bytes): bool
    {
        $now = (int) floor(microtime(true) * 1000);
        try {
            return $this->record([
            'attempt_id' => 'ref_' . bin2hex(random_bytes(12)),
            'event_id' => 'ref_' . bin2hex(random_bytes(8)),
            'endpoint_id' => 0,
            'event' => mb_substr($event, 0, 191),
            'attempt' => 0,
            'outcome' => self::REFUSED,
            'error' => mb_strcut($detail, 0, 2000) . ($bytes > 0 ? sprintf(' [%d bytes]', $bytes) : ''),
            'error_kind' => $kind,
            'started_at' => $now,
            ]);
        } catch (\RuntimeException $e) {
            return false;
        }
    }

    /**
     * Events refused since `$since` (Unix time).
     */
    public function refusedSince(int $since): int
    {
        global $wpdb;
        return (int) $wpdb->get_var(
            $wpdb->prepare('SELECT COUNT(*) FROM ' . Schema::table('deliveries') . ' WHERE outcome = %s AND date_created >= %s', self::REFUSED, gmdate('Y-m-d H:i:s', $since))
        ); // SQL safe: table name only.
    }

    /**
     * Keeps an event's payload (for the log view and for redelivery), exactly the bytes accepted.
     */
    public function storePayload(string $eventId, string $event, string $payloadJson, int $timestampMs): void
    {
        global $wpdb;
        $ok = $wpdb->query($wpdb->prepare(
            'INSERT IGNORE INTO ' . Schema::table('events') . ' (event_id, event, payload, date_created) VALUES (%s, %s, %s, %s)', // SQL safe: table name only.
            $eventId,
            $event,
            $payloadJson,
            gmdate('Y-m-d H:i:s', intdiv(max(0, $timestampMs), 1000))
        ));
        if ($ok === false) {
            throw new \RuntimeException('database: the payload of ' . $eventId . ' was not stored: ' . $wpdb->last_error);
        }
    }

    /**
     * The stored payload of an event (JSON text), or null.
     */
    public function payload(string $eventId): ?string
    {
        global $wpdb;
        $p = $wpdb->get_var($wpdb->prepare('SELECT payload FROM ' . Schema::table('events') . ' WHERE event_id = %s', $eventId)); // SQL safe: table name only.
        return $p === null ? null : (string) $p;
    }

    /**
     * The newest attempt (not a test send) of `$eventId` to `$webhookId` logged after the
     * entry `$afterId`, or null.
     *
     * @return array<string, mixed>|null
     */
    public function latestAttempt(string $eventId, int $webhookId, int $afterId = 0): ?array
    {
        global $wpdb;
        $row = $wpdb->get_row(
            $wpdb->prepare(
                'SELECT * FROM ' . Schema::table('deliveries') . ' WHERE event_id = %s AND webhook_id = %d AND id > %d AND is_test = 0 ORDER BY id DESC LIMIT 1',
                $eventId,
                $webhookId,
                $afterId
            ),
            ARRAY_A
        ); // SQL safe: table name only.
        return $row ? self::shape($row) : null;
    }

    /**
     * The id of the newest entry (0 when the log is empty).
     */
    public function lastId(): int
    {
        global $wpdb;
        return (int) $wpdb->get_var('SELECT MAX(id) FROM ' . Schema::table('deliveries')); // SQL safe: table name only.
    }

    /**
     * One attempt, or null.
     *
     * @return array<string, mixed>|null
     */
    public function get(int $id): ?array
    {
        global $wpdb;
        $row = $wpdb->get_row($wpdb->prepare('SELECT * FROM ' . Schema::table('deliveries') . ' WHERE id = %d', $id), ARRAY_A); // SQL safe: table name only.
        return $row ? self::shape($row) : null;
    }

    /**
     * Attempts, newest first, filtered by webhook_id, event, event_id, status (delivered, failed,
     * retrying, cancelled, refused, or `failing` = failed or retrying), is_test, since/until (GMT dates).
     *
     * @param array<string, mixed> $args Filters plus per_page and page.
     * @return list<array<string, mixed>>
     */
    public function list(array $args = []): array
    {
        global $wpdb;
        [$where, $params] = $this->where($args);
        $per = max(1, min(1000, (int) ($args['per_page'] ?? 50)));
        $offset = max(0, ((int) ($args['page'] ?? 1) - 1) * $per);
        $sql = 'SELECT * FROM ' . Schema::table('deliveries') . " WHERE {$where} ORDER BY date_created DESC, id DESC LIMIT %d OFFSET %d";
        $rows = $wpdb->get_results($wpdb->prepare($sql, array_merge($params, [$per, $offset])), ARRAY_A); // SQL safe: built from allow-listed parts.
        return array_map([self::class, 'shape'], (array) $rows);
    }

    /**
     * How many attempts match (same filters as list()).
     *
     * @param array<string, mixed> $args
     */
    public function count(array $args = []): int
    {
        global $wpdb;
        [$where, $params] = $this->where($args);
        $sql = 'SELECT COUNT(*) FROM ' . Schema::table('deliveries') . " WHERE {$where}";
        return (int) $wpdb->get_var($params ? $wpdb->prepare($sql, $params) : $sql); // SQL safe: built from allow-listed parts.
    }

    /**
     * Failed attempts (final or to be retried) of each of `$webhookIds` since `$since` (Unix
     * time), by webhook id; test sends not counted.
     *
     * @param list<int> $webhookIds
     * @return array<int, int>
     */
    public function failuresSince(array $webhookIds, int $since): array
    {
        global $wpdb;
        $ids = array_values(array_filter(array_map('intval', $webhookIds)));
        if ($ids === []) {
            return [];
        }
        $sql = 'SELECT webhook_id, COUNT(*) AS n FROM ' . Schema::table('deliveries') . " WHERE outcome IN ('failed','retrying') AND is_test = 0 AND date_created >= %s AND webhook_id IN ("
            . implode(',', array_fill(0, count($ids), '%d')) . ') GROUP BY webhook_id';
        $out = [];
        foreach ((array) $wpdb->get_results($wpdb->prepare($sql, array_merge([gmdate('Y-m-d H:i:s', $since)], $ids)), ARRAY_A) as $r) { // SQL safe: placeholders only.
            $out[(int) $r['webhook_id']] = (int) $r['n'];
        }
        return $out;
    }

    /**
     * The newest test send of each of `$webhookIds`: webhook id => its row (status_code,
     * outcome, error_kind, date_created). Tests are shown as such and never counted as
     * deliveries.
     *
     * @param list<int> $webhookIds
     * @return array<int, array<string, mixed>>
     */
    public function lastTests(array $webhookIds): array
    {
        global $wpdb;
        $ids = array_values(array_filter(array_map('intval', $webhookIds)));
        if ($ids === []) {
            return [];
        }
        $table = Schema::table('deliveries');
        $sql = "SELECT d.webhook_id, d.status_code, d.outcome, d.error_kind, d.date_created FROM {$table} d JOIN (SELECT MAX(id) AS id FROM {$table}"
            . ' WHERE is_test = 1 AND webhook_id IN (' . implode(',', array_fill(0, count($ids), '%d')) . ') GROUP BY webhook_id) m ON d.id = m.id';
        $out = [];
        foreach ((array) $wpdb->get_results($wpdb->prepare($sql, $ids), ARRAY_A) as $r) { // SQL safe: placeholders only.
            $out[(int) $r['webhook_id']] = ['status_code' => $r['status_code'] === null ? null : (int) $r['status_code']] + $r;
        }
        return $out;
    }

    /**
     * The distinct events that failed for good (no later attempt of the same event to the same
     * webhook delivered it), matching `$args` (webhook_id, event, since, until): what
     * "Redeliver all failed" sends again. At most `$max`, oldest first.
     *
     * @param array<string, mixed> $args
     * @return list<int> The id of the newest failed attempt of each.
     */
    public function failedForGood(array $args, int $max = 1000): array
    {
        global $wpdb;
        [$where, $params] = $this->where(['status' => 'failed', 'is_test' => '0'] + $args, 'd.');
        $table = Schema::table('deliveries');
        $sql = "SELECT MAX(d.id) FROM {$table} d WHERE {$where} AND NOT EXISTS (SELECT 1 FROM {$table} ok WHERE ok.event_id = d.event_id AND ok.webhook_id = d.webhook_id AND ok.outcome = 'delivered')"
            . ' GROUP BY d.event_id, d.webhook_id ORDER BY MAX(d.id) ASC LIMIT %d';
        return array_map('intval', (array) $wpdb->get_col($wpdb->prepare($sql, array_merge($params, [$max])))); // SQL safe: built from allow-listed parts.
    }

    /**
     * @param array<string, mixed> $args
     * @param string $alias Prefix of the column names (a table alias and a dot), if any.
     * @return array{0:string,1:list<mixed>}
     */
    private function where(array $args, string $alias = ''): array
    {
        $where = ['1=1'];
        $params = [];
        if (!empty($args['webhook_id'])) {
            $where[] = $alias . 'webhook_id = %d';
            $params[] = (int) $args['webhook_id'];
        }
        foreach (['event' => 'event', 'event_id' => 'event_id'] as $arg => $col) {
            if (!empty($args[$arg])) {
                $where[] = "{$alias}{$col} = %s";
                $params[] = (string) $args[$arg];
            }
        }
        $status = (string) ($args['status'] ?? '');
        if ($status === self::FAILING) {
            $where[] = $alias . "outcome IN ('failed','retrying')";
        } elseif (in_array($status, self::OUTCOMES, true)) {
            $where[] = $alias . 'outcome = %s';
            $params[] = $status;
        }
        if (isset($args['is_test']) && $args['is_test'] !== '') {
            $where[] = $alias . 'is_test = %d';
            $params[] = filter_var($args['is_test'], FILTER_VALIDATE_BOOLEAN) ? 1 : 0;
        }
        if (!empty($args['since'])) {
            $where[] = $alias . 'date_created >= %s';
            $params[] = gmdate('Y-m-d H:i:s', (int) strtotime((string) $args['since'] . ' UTC'));
        }
        if (!empty($args['until'])) {
            $where[] = $alias . 'date_created <= %s';
            $params[] = gmdate('Y-m-d H:i:s', (int) strtotime((string) $args['until'] . ' UTC'));
        }
        return [implode(' AND ', $where), $params];
    }

    /**
     * Deletes attempts and payloads older than `$days`, `$batch` rows at a time, for at most
     * `$seconds`. Returns how many rows were deleted.
     */
    public function prune(int $days, int $batch = 1000, float $seconds = 5.0): int
    {
        global $wpdb;
        $cutoff = gmdate('Y-m-d H:i:s', time() - $days * DAY_IN_SECONDS);
        $end = microtime(true) + $seconds;
        $deleted = 0;
        foreach (['deliveries', 'events'] as $t) {
            do {
                $n = (int) $wpdb->query($wpdb->prepare('DELETE FROM ' . Schema::table($t) . ' WHERE date_created < %s LIMIT %d', $cutoff, $batch)); // SQL safe: table name only.
                $deleted += $n;
            } while ($n === $batch && microtime(true) < $end);
        }
        return $deleted;
    }

    /**
     * A row as the rest of the plugin sees it.
     *
     * @param array<string, mixed> $row
     * @return array<string, mixed>
     */
    public static function shape(array $row): array
    {
        foreach (['id', 'webhook_id', 'attempt', 'duration_ms'] as $int) {
            $row[$int] = (int) $row[$int];
        }
        $row['status_code'] = $row['status_code'] === null ? null : (int) $row['status_code'];
        $row['is_test'] = (bool) (int) $row['is_test'];
        $row['is_redelivery'] = (bool) (int) $row['is_redelivery'];
        $row['url'] = MaskedUrl::of((string) ($row['url'] ?? '')); // rows logged before URLs were masked too
        foreach (['request_headers', 'response_headers'] as $h) {
            $decoded = json_decode((string) $row[$h], true);
            $row[$h] = is_array($decoded) ? $decoded : [];
        }
        return $row;
    }

    /**
     * One attempt for output: the fields of ATTEMPT_FIELDS (and with `$detail` those of
     * ATTEMPT_DETAIL_FIELDS), in that order, typed (dates are GMT `Y-m-d H:i:s` or null).
     *
     * @param array<string, mixed> $row A row of get()/list() (shape()).
     * @return array<string, mixed>
     */
    public static function attempt(array $row, bool $detail): array
    {
        $text = static fn ($v): ?string => $v === null || $v === '' ? null : (string) $v;
        $out = [
            'id' => (int) $row['id'],
            'date_created' => $text($row['date_created'] ?? null),
            'webhook_id' => (int) $row['webhook_id'],
            'event' => (string) $row['event'],
            'event_id' => (string) $row['event_id'],
            'attempt' => (int) $row['attempt'],
            'outcome' => (string) $row['outcome'],
            'status_code' => $row['status_code'] === null ? null : (int) $row['status_code'],
            'error' => $row['error'] === null ? null : (string) $row['error'],
            'error_kind' => $text($row['error_kind'] ?? null),
            'duration_ms' => (int) $row['duration_ms'],
            'url' => (string) $row['url'],
            'is_test' => (bool) $row['is_test'],
            'is_redelivery' => (bool) $row['is_redelivery'],
            'next_attempt_at' => $text($row['next_attempt_at'] ?? null),
            'attempt_id' => (string) $row['attempt_id'],
        ];
        if ($detail) {
            $out += [
                'request_headers' => (array) $row['request_headers'],
                'response_headers' => (array) $row['response_headers'],
                'response_excerpt' => (string) ($row['response_excerpt'] ?? ''),
            ];
        }
        return $out;
    }
}
