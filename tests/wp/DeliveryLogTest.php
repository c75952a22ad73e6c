<?php
/**
 * The record: attempts land in the deliveries table with status and duration; retries show
 * as separate attempts; events raised where FFI is off still end delivered via the outbox;
 * many PHP-FPM workers emitting at once deliver each event once.
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Tests\Wp;

final class DeliveryLogTest extends WpTestCase
{
    public function testA500ThenA200ShowsTwoAttempts(): void
    {
        $hook = $this->createWebhook('Flaky', '/seq/500,200', ['test_ping']);
        $eventId = trim(self::wp('echo hooks_emit("test_ping", ["n" => 1]);'));
        $this->assertMatchesRegularExpression('/^msg_/', $eventId);
        // The emitting CLI process has exited; the retry is delivered by the engine of the
        // web worker that serves the next page view.
        file_get_contents('http://localhost/');
        $got = $this->waitForPosts('/seq/500,200', 2, 30.0);
        $this->assertSame($eventId, $got[0]['headers']['webhook-id']);
        $this->assertSame($eventId, $got[1]['headers']['webhook-id'], 'the retry carries the same webhook-id');
        $rows = [];
        $end = microtime(true) + 20;
        while (count($rows) < 2 && microtime(true) < $end) {
            self::importResults();
            $rows = self::wpJson('echo json_encode(MultisiteWebhooks\Plugin::instance()->deliveries()->list(["event_id" => ' . var_export($eventId, true) . ']));');
            usleep(100_000);
        }
        $this->assertCount(2, $rows);
        usort($rows, static fn ($a, $b) => $a['attempt'] <=> $b['attempt']);
        $this->assertSame([1, 'retrying', 500], [$rows[0]['attempt'], $rows[0]['outcome'], $rows[0]['status_code']]);
        $this->assertSame([2, 'delivered', 200], [$rows[1]['attempt'], $rows[1]['outcome'], $rows[1]['status_code']]);
        foreach ($rows as $row) {
            $this->assertSame($hook['id'], $row['webhook_id']);
            $this->assertGreaterThanOrEqual(0, $row['duration_ms']);
            $this->assertNotEmpty($row['request_headers']['webhook-signature']);
        }
        $this->assertNotNull($rows[0]['next_attempt_at'], 'the failed attempt says when the next one is due');
        $webhook = self::wpJson('echo json_encode(MultisiteWebhooks\Plugin::instance()->webhooks()->get(' . $hook['id'] . '));');
        $this->assertSame(1, $webhook['event_count']);
        $this->assertSame(1, $webhook['failure_count']);
        $this->assertNotEmpty($webhook['date_last_failed']);
        $this->assertSame('200', $webhook['last_status']);
        $payload = self::wpJson('echo MultisiteWebhooks\Plugin::instance()->deliveries()->payload(' . var_export($eventId, true) . ');');
        $this->assertSame(1, $payload['n'], 'the payload is kept for redelivery');
        // Importing again changes nothing.
        self::importResults();
        $again = self::wpJson('echo json_encode(MultisiteWebhooks\Plugin::instance()->deliveries()->count(["event_id" => ' . var_export($eventId, true) . ']));');
        $this->assertSame(2, $again);
    }

    public function testResponseHeadersOverTheColumnSizeAreKeptBoundedAsValidJsonSayingWhatWasCut(): void
    {
        // 50 headers of 1,200 Latin-1 "é" bytes each (60 KB, under the HTTP client's 64 KB):
        // as JSON, each byte one escaped replacement character, far more than the column holds.
        $this->createWebhook('Chatty receiver', '/headers/50/1200', ['test_ping']);
        $eventId = trim(self::wp('echo hooks_emit("test_ping", ["n" => 1]);'));
        $this->waitForPosts('/headers/50/1200', 1);
        $row = null;
        $end = microtime(true) + 20;
        while ($row === null && microtime(true) < $end) {
            self::importResults();
            $row = self::wpJson('global $wpdb; echo json_encode($wpdb->get_row($wpdb->prepare("SELECT outcome, response_headers FROM "
                . MultisiteWebhooks\Store\Schema::table("deliveries") . " WHERE event_id = %s", ' . var_export($eventId, true) . '), ARRAY_A));');
            usleep(100_000);
        }
        $this->assertSame('delivered', $row['outcome'] ?? null);
        $this->assertLessThan(65535, strlen($row['response_headers']), 'the record fits its column');
        $headers = json_decode($row['response_headers'], true, 512, JSON_THROW_ON_ERROR);
        $this->assertSame('2', $headers['content-length']);
        $this->assertSame(str_repeat("\u{FFFD}", 170), $headers['x-big-0'], 'bytes outside UTF-8 read as replacement characters, cut at 512 bytes');
        $this->assertMatchesRegularExpression('/^\d+ of 5[0-9] headers not kept \(at most 64 and 8192 bytes are\); \d+ values cut at 512 bytes$/', $headers['(cut)']);

        $jar = self::login();
        $id = (int) self::wp('global $wpdb; echo $wpdb->get_var($wpdb->prepare("SELECT id FROM " . MultisiteWebhooks\Store\Schema::table("deliveries") . " WHERE event_id = %s", '
            . var_export($eventId, true) . '));');
        [, $page] = self::http('http://localhost/wp-admin/network/admin.php?page=multisite-webhooks-log&delivery=' . $id, $jar);
        $this->assertStringContainsString('x-big-0', $page, 'the detail shows the kept headers, not "(none)"');
        $this->assertStringContainsString('headers not kept', $page);
    }

    public function testAnEventRaisedWithoutFfiEndsDeliveredViaTheOutbox(): void
    {
        $this->createWebhook('Sites', '/sites', ['site_created']);
        $noffi = self::$env['MWH_NOFFI_URL'];
        $jar = self::login($noffi);
        [$status, $page] = self::http($noffi . 'wp-admin/network/site-new.php', $jar);
        $this->assertSame(200, $status);
        $slug = 'noffi' . bin2hex(random_bytes(3));
        [$status] = self::http($noffi . 'wp-admin/network/site-new.php?action=add-site', $jar, [
            '_wpnonce_add-blog' => self::hiddenInput($page, '_wpnonce_add-blog'),
            '_wp_http_referer' => '/wp-admin/network/site-new.php',
            'blog[domain]' => $slug, 'blog[title]' => 'No FFI Here', 'blog[email]' => 'admin@example.com', 'submit' => 'Add Site',
        ]);
        $this->assertSame(302, $status);
        $waiting = self::wpJson('global $wpdb; echo json_encode($wpdb->get_col("SELECT reason FROM " . MultisiteWebhooks\Store\Schema::table("outbox")
            . " WHERE event = \'site_created\' AND payload LIKE \'%' . $slug . '%\'"));');
        $this->assertCount(1, $waiting, 'the request without FFI put the event in the outbox');
        $this->assertStringContainsString('ffi.enable', $waiting[0], 'and said why');
        usleep(300_000);
        $this->assertSame([], $this->posts('/sites'), 'nothing is sent from a process without FFI');
        // The cron tick, in a process where PHP allows FFI, moves it to the engine.
        $done = self::wpJson('echo json_encode(MultisiteWebhooks\Cron::tick(MultisiteWebhooks\Plugin::instance(), 10));');
        $this->assertGreaterThanOrEqual(1, $done['moved']);
        $r = $this->waitForPosts('/sites', 1)[0];
        $this->assertSignedDelivery($r, 'site_created');
        $this->assertSame('No FFI Here', json_decode($r['body'], true)['site_title']);
        unlink($jar);
    }

    public function testManyFpmWorkersEmittingAtOnceDeliverEveryEventOnce(): void
    {
        $this->createWebhook('Pings', '/pings', ['test_ping']);
        $n = 200;
        $mh = curl_multi_init();
        $handles = [];
        $pids = [];
        for ($i = 0; $i < $n; $i++) {
            $ch = curl_init('http://localhost/?mwh_e2e_emit=' . $i);
            curl_setopt_array($ch, [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 60]);
            curl_multi_add_handle($mh, $ch);
            $handles[] = $ch;
        }
        curl_multi_setopt($mh, CURLMOPT_MAX_TOTAL_CONNECTIONS, 8);
        do {
            curl_multi_exec($mh, $running);
            curl_multi_select($mh, 1.0);
        } while ($running > 0);
        foreach ($handles as $ch) {
            $answer = json_decode((string) curl_multi_getcontent($ch), true);
            $this->assertIsArray($answer, 'each request answered');
            $this->assertArrayHasKey('id', $answer, json_encode($answer));
            $pids[$answer['pid']] = true;
            curl_multi_remove_handle($mh, $ch);
        }
        curl_multi_close($mh);
        $this->assertGreaterThan(1, count($pids), 'several PHP-FPM workers emitted');
        $got = $this->waitForPosts('/pings', $n, 30.0);
        usleep(500_000);
        $got = $this->posts('/pings');
        $ns = array_map(static fn ($r) => json_decode($r['body'], true)['n'], $got);
        sort($ns);
        $ids = array_count_values(array_map(static fn ($r) => $r['headers']['webhook-id'], $got));
        $this->assertSame(range(0, $n - 1), $ns, sprintf(
            'every event delivered exactly once (%d requests, %d distinct webhook-ids, paths %s)',
            count($got),
            count($ids),
            json_encode(array_count_values(array_column($this->receiver->requests(), 'path')))
        ));
    }

    public function testAnIdleLeaderStopsRetryingAWebhookDeletedMeanwhile(): void
    {
        // Every attempt fails; the fixtures retry after 1, 2 and 3 s.
        $hook = $this->createWebhook('Doomed', '/status/500', ['test_ping']);
        file_get_contents('http://localhost/?mwh_e2e_emit=11');
        $this->waitForPosts('/status/500', 1);
        // Deleted from another process while no further event is raised.
        self::wp('MultisiteWebhooks\Plugin::instance()->webhooks()->delete(' . $hook['id'] . ');');
        usleep(500_000); // An attempt already under way may still land.
        $after = count($this->posts('/status/500'));
        sleep(7);
        $this->assertSame($after, count($this->posts('/status/500')), 'no attempt to a deleted webhook after it was deleted');
    }
}
