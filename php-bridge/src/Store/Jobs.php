<?php
/**
 * Jobs handed over by web requests that cannot load the engine (PHP-FPM without FFI) to a
 * process that can (`wp webhook worker`, a cron or WP-CLI run): a test send, a redelivery, a
 * URL check. The request waits for the answer; the worker runs the job and writes it back.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Store;

use MultisiteWebhooks\Options;

/**
 * A small table of jobs and their answers, and the worker's heartbeat.
 */
final class Jobs
{
    /** Seconds a heartbeat stays fresh (the worker writes one every 5 s). */
    public const FRESH_SECONDS = 15;

    /** Waiting jobs older than this are withdrawn: their asker has given up. */
    public const ABANDON_SECONDS = 120;

    /**
     * Adds a job; returns its id (0 when the database refused it).
     *
     * @param array<string, mixed> $request
     */
    public function add(string $kind, array $request): int
    {
        global $wpdb;
        $ok = $wpdb->insert(Schema::table('jobs'), [
            'kind' => $kind,
            'request' => (string) wp_json_encode($request),
            'state' => 'waiting',
            'date_created' => gmdate('Y-m-d H:i:s'),
        ], ['%s', '%s', '%s', '%s']);
        return $ok ? (int) $wpdb->insert_id : 0;
    }

    /**
     * Claims the oldest waiting job for this process: [id, kind, request], or null. Two
     * processes never claim the same job (the state changes in one conditional UPDATE).
     *
     * @return array{id:int, kind:string, request:array<string, mixed>}|null
     */
    public function claim(): ?array
    {
        global $wpdb;
        $table = Schema::table('jobs');
        $cutoff = gmdate('Y-m-d H:i:s', time() - self::ABANDON_SECONDS);
        for ($tries = 0; $tries < 3; $tries++) {
            $row = $wpdb->get_row($wpdb->prepare(
                "SELECT id, kind, request FROM {$table} WHERE state = 'waiting' AND date_created >= %s ORDER BY id ASC LIMIT 1", // SQL safe: table name only.
                $cutoff
            ));
            if ($row === null) {
                return null;
            }
            $claimed = $wpdb->query($wpdb->prepare("UPDATE {$table} SET state = 'running' WHERE id = %d AND state = 'waiting'", (int) $row->id)); // SQL safe: table name only.
            if ((int) $claimed === 1) {
                $request = json_decode((string) $row->request, true);
                return ['id' => (int) $row->id, 'kind' => (string) $row->kind, 'request' => is_array($request) ? $request : []];
            }
        }
        return null;
    }

    /**
     * Writes a job's answer.
     *
     * @param array<string, mixed> $answer
     */
    public function finish(int $id, array $answer): void
    {
        global $wpdb;
        $wpdb->update(
            Schema::table('jobs'),
            ['state' => 'done', 'answer' => (string) wp_json_encode($answer), 'date_done' => gmdate('Y-m-d H:i:s')],
            ['id' => $id],
            ['%s', '%s', '%s'],
            ['%d']
        );
    }

    /**
     * A job's answer once it is done, else null. Read from the database each time (no cache).
     *
     * @return array<string, mixed>|null
     */
    public function answer(int $id): ?array
    {
        global $wpdb;
        $answer = $wpdb->get_var($wpdb->prepare('SELECT answer FROM ' . Schema::table('jobs') . " WHERE id = %d AND state = 'done'", $id)); // SQL safe: table name only.
        if ($answer === null) {
            return null;
        }
        $decoded = json_decode((string) $answer, true);
        return is_array($decoded) ? $decoded : [];
    }

    /**
     * Withdraws a job nobody claimed yet; returns whether it was still waiting.
     */
    public function withdraw(int $id): bool
    {
        global $wpdb;
        return (int) $wpdb->query($wpdb->prepare('DELETE FROM ' . Schema::table('jobs') . " WHERE id = %d AND state = 'waiting'", $id)) === 1; // SQL safe: table name only.
    }

    /**
     * Deletes answered jobs and jobs nobody will wait for any more.
     */
    public function prune(): void
    {
        global $wpdb;
        $wpdb->query($wpdb->prepare('DELETE FROM ' . Schema::table('jobs') . ' WHERE date_created < %s', gmdate('Y-m-d H:i:s', time() - 10 * self::ABANDON_SECONDS))); // SQL safe: table name only.
    }

    /**
     * Records that the delivery worker is alive (this process).
     */
    public function beat(int $started): void
    {
        $user = function_exists('posix_geteuid') && function_exists('posix_getpwuid') ? (posix_getpwuid(posix_geteuid())['name'] ?? '') : '';
        update_site_option(Options::WORKER_HEARTBEAT, ['pid' => getmypid(), 'host' => (string) gethostname(), 'user' => (string) $user,
            'started' => $started, 'seen' => time()]);
    }

    /**
     * Records that the delivery worker stopped (it says so when it exits cleanly).
     */
    public function stopped(): void
    {
        $beat = (array) get_site_option(Options::WORKER_HEARTBEAT, []);
        $beat['stopped'] = time();
        update_site_option(Options::WORKER_HEARTBEAT, $beat);
    }

    /**
     * The delivery worker's heartbeat if it is fresh (a worker runs somewhere in the network),
     * else null.
     *
     * @return array{pid:int, host:string, user:string, started:int, seen:int}|null
     */
    public function worker(): ?array
    {
        wp_cache_delete(get_current_network_id() . ':' . Options::WORKER_HEARTBEAT, 'site-options'); // Fresh, not this request's copy.
        $beat = get_site_option(Options::WORKER_HEARTBEAT, []);
        if (!is_array($beat) || empty($beat['seen']) || !empty($beat['stopped']) && (int) $beat['stopped'] >= (int) $beat['seen']) {
            return null;
        }
        return time() - (int) $beat['seen'] <= self::FRESH_SECONDS ? $beat : null;
    }
}
