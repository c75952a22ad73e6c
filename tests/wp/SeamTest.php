<?php
/**
 * One contract across the PHP ↔ engine seam, on the real network: a bad webhook is left out
 * and named while the others keep receiving; payloads reach receivers byte for byte on the
 * first attempt, a retry and every redelivery; results are taken in bounded batches and only
 * let go once recorded; no event vanishes in silence; every surface follows the same rules;
 * and the engine's answers become sentences that name the webhook.
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Tests\Wp;

final class SeamTest extends WpTestCase
{
    /** A payload PHP's decode-and-encode would change in four places. */
    private const EXACT = '{"a":{},"b":[],"c":12345678901234567890,"d":49.0,"e":"é/\u2028"}';

    private const P = 'MultisiteWebhooks\Plugin::instance()';

    protected function tearDown(): void
    {
        // Leave the network as the other suites expect it: no refusals, nothing waiting.
        self::wp('global $wpdb; $wpdb->query("DELETE FROM " . MultisiteWebhooks\Store\Schema::table("outbox"));
            $wpdb->query("DELETE FROM " . MultisiteWebhooks\Store\Schema::table("deliveries") . " WHERE outcome = \'refused\'");
            delete_site_option(MultisiteWebhooks\Options::LAST_ERROR); delete_site_option(MultisiteWebhooks\Options::REJECTED);');
        parent::tearDown();
    }

    /** Inserts a webhook row as an older version, a degraded save or an import could have. */
    private static function insertRow(string $name, string $url, array $events): int
    {
        return (int) trim(self::wp('global $wpdb; $p = ' . self::P . '; $p->webhooks();
            $wpdb->insert(MultisiteWebhooks\Store\Schema::table("webhooks"), ["name" => ' . var_export($name, true) . ', "webhook_url" => ' . var_export($url, true) . ',
                "event" => ' . var_export($events[0], true) . ', "events" => ' . var_export(json_encode($events), true) . ', "active" => 1,
                "secrets" => json_encode([["secret" => MultisiteWebhooks\Store\Webhooks::newSecret(), "created" => time(), "expires" => null]]),
                "date_created" => gmdate("Y-m-d H:i:s"), "date_modified" => gmdate("Y-m-d H:i:s"), "date_activated" => gmdate("Y-m-d H:i:s")]);
            echo $wpdb->insert_id; $p->webhooks()->bumpVersion();'));
    }

    /** The delivery log rows of `$eventId`, once at least `$n` are imported. */
    private function rowsOf(string $eventId, int $n): array
    {
        $end = microtime(true) + 20;
        do {
            self::importResults();
            $rows = self::wpJson('echo json_encode(' . self::P . '->deliveries()->list(["event_id" => ' . var_export($eventId, true) . ']));');
            if (count($rows) >= $n) {
                usort($rows, static fn ($a, $b) => $a['id'] <=> $b['id']);
                return $rows;
            }
            usleep(100_000);
        } while (microtime(true) < $end);
        $this->fail("fewer than $n log rows for $eventId: " . json_encode($rows));
    }

    /** @return list<string> */
    private static function noticeTexts(): array
    {
        return self::wpJson('echo json_encode(array_map(static fn ($n) => wp_strip_all_tags(html_entity_decode($n[1])), MultisiteWebhooks\Notices::collect(' . self::P . ')));');
    }

    // ------------------------------------------------------------------ 1. one bad webhook

    public function testABadWebhookIsLeftOutAndNamedWhileTheOthersKeepReceiving(): void
    {
        $this->createWebhook('Good one', '/good', ['test_ping']);
        $bad = self::insertRow('Broken port', 'http://127.0.0.1:18350:80/ok', ['test_ping']);
        $id = trim(self::wp('$r = hooks_emit("test_ping", ["n" => 1]); echo is_wp_error($r) ? "ERROR " . $r->get_error_message() : $r;'));
        $this->assertMatchesRegularExpression('/^msg_/', $id, 'the event is accepted');
        $this->assertSignedDelivery($this->waitForPosts('/good', 1)[0], 'test_ping');
        $stats = self::wpJson('echo json_encode(' . self::P . '->engine()->stats());');
        $rejected = array_column($stats['rejected_endpoints'], null, 'id');
        $this->assertSame('bad_port', $rejected[$bad]['code'] ?? null, 'the engine reports the left-out endpoint by id: ' . json_encode($stats['rejected_endpoints']));
        $tick = self::wpJson('echo json_encode(MultisiteWebhooks\Cron::tick(' . self::P . ', 5));');
        $this->assertSame([], $tick['errors'], 'the cron tick runs through');
        $notices = implode("\n", self::noticeTexts());
        $this->assertStringContainsString('The webhook "Broken port" receives no events', $notices);
        $this->assertStringContainsString('port of the URL must be one number', $notices);
        $this->assertStringNotContainsString('endpoints[', $notices, 'no engine prose reaches the admin');
    }

    public function testCronImportAndShutdownSurviveAnEngineThatFails(): void
    {
        $this->createWebhook('Counted', '/counted', ['test_ping']);
        $spool = trim(self::wp('echo MultisiteWebhooks\Settings::spoolDir();'));
        chmod($spool . '/results', 0);
        try {
            // The emitting CLI process imports at exit (its shutdown hook): the journal is unreadable.
            $out = self::wp('echo hooks_emit("test_ping", ["n" => 2]);');
            $this->assertMatchesRegularExpression('/^msg_/', trim($out));
            $tick = self::wpJson('echo json_encode(MultisiteWebhooks\Cron::tick(' . self::P . ', 3));');
            $this->assertSame(0, $tick['imported']);
            $last = self::wpJson('echo json_encode(get_site_option(MultisiteWebhooks\Options::LAST_ERROR));');
            $this->assertSame('spool', $last['kind'], 'what happened is recorded: ' . json_encode($last));
        } finally {
            chmod($spool . '/results', 0700);
        }
        $this->waitForPosts('/counted', 1);
    }

    // ------------------------------------------------------------------ 2. exact bytes

    public function testThePayloadArrivesByteForByteOnEveryAttemptAndRedelivery(): void
    {
        $path = '/seq/500,200';
        $hook = $this->createWebhook('Exact', $path, ['test_ping']);
        $eventId = trim(self::wp('echo hooks_emit("test_ping", ' . var_export(self::EXACT, true) . ');'));
        file_get_contents('http://localhost/'); // A web worker leads the retry after the CLI exits.
        $this->waitForPosts($path, 2, 30.0);
        $rows = $this->rowsOf($eventId, 2);
        $this->assertSame(self::EXACT, self::wp('echo ' . self::P . '->deliveries()->payload(' . var_export($eventId, true) . ');'), 'stored as accepted');
        $delivery = (int) $rows[1]['id'];
        // Redeliver from the admin (the delivery's own page, its form and nonce) …
        $jar = self::login();
        [, $page] = self::http('http://localhost/wp-admin/network/admin.php?page=multisite-webhooks-log&delivery=' . $delivery, $jar);
        [$status] = self::http(
            'http://localhost/wp-admin/network/admin.php?page=multisite-webhooks-log',
            $jar,
            ['_wpnonce' => self::hiddenInput($page, '_wpnonce'), 'action' => 'redeliver_one', 'delivery' => (string) $delivery]
        );
        $this->assertSame(302, $status);
        unlink($jar);
        // … from the REST API …
        $cred = self::applicationPassword('admin');
        $r = self::rest('POST', "/deliveries/$delivery/retry", null, $cred);
        $this->assertSame(202, $r['status'], $r['raw']);
        // … and from WP-CLI.
        $cli = self::cli('webhook delivery retry', [(string) $delivery]);
        $this->assertSame(0, $cli['status'], json_encode($cli));
        $posts = $this->waitForPosts($path, 5, 30.0);
        foreach ($posts as $i => $p) {
            $this->assertSame(self::EXACT, $p['body'], "request $i carries the accepted bytes");
            $this->assertSame($eventId, $p['headers']['webhook-id']);
        }
        $this->assertSame($hook['id'], $rows[0]['webhook_id']);
    }

    public function testSendTestRecordsTheBytesItSent(): void
    {
        $hook = $this->createWebhook('Tested', '/tested', ['test_ping']);
        $r = self::wpJson('echo json_encode(' . self::P . '->operations()->sendTest(' . $hook['id'] . ', "test_ping"));');
        $this->assertTrue($r['ok'], json_encode($r));
        $sent = $this->waitForPosts('/tested', 1)[0]['body'];
        $this->assertSame($sent, self::wp('echo ' . self::P . '->deliveries()->payload(' . var_export($r['event_id'], true) . ');'));
        $this->assertSame(
            $sent,
            self::wp('echo MultisiteWebhooks\Payload::encode(' . self::P . '->catalog()->example("test_ping"));'),
            'the one encoder every surface uses'
        );
    }

    // ------------------------------------------------------------------ 3. bounded results

    public function testResultsAreTakenInBoundedBatchesAndLetGoOnlyOnceRecorded(): void
    {
        $ids = [];
        foreach (['A', 'B', 'C'] as $n) {
            $ids[] = $this->createWebhook("Big $n", "/big/$n", ['test_ping'])['id'];
        }
        $stored = 'global $wpdb; echo (int) $wpdb->get_var("SELECT COUNT(*) FROM " . MultisiteWebhooks\Store\Schema::table("events"));';
        // Results of earlier tests' deliveries that finished after their commands exited are
        // logged first, so the count below is this test's alone.
        self::importResults();
        $before = (int) trim(self::wp($stored));
        // 40 events of 600 KB to three webhooks, sent by a process that records nothing.
        self::wp('$e = ' . self::P . '->engine(); ' . self::P . '->emitter()->sync($e, true);
            for ($i = 0; $i < 40; $i++) { $e->emit("test_ping", json_encode(["n" => $i, "text" => str_repeat("x", 600000)])); }
            if (!$e->flush(120000)) { fwrite(STDERR, "not flushed"); exit(1); }');
        // A reader that dies before it acknowledges loses nothing.
        $peek = self::wpJson('$b = ' . self::P . '->engine()->takeResults(10000, 1 << 20);
            echo json_encode(["events" => count($b["events"]), "attempts" => count($b["attempts"]), "more" => $b["more"],
                "payload_in_attempts" => count(array_filter($b["attempts"], static fn ($a) => array_key_exists("payload", $a))),
                "bytes" => strlen(json_encode($b))]);');
        $this->assertGreaterThanOrEqual(1, $peek['events']);
        $this->assertTrue($peek['more']);
        $this->assertSame(0, $peek['payload_in_attempts'], 'attempts never carry the payload');
        $this->assertLessThan((1 << 20) + 700_000, $peek['bytes'], 'a batch stays within its byte budget (plus one entry)');
        // An import with little memory records everything: 40 payloads once each, 120 attempts.
        $out = self::wp(
            '$n = ' . self::P . '->importer()->run(60.0); echo json_encode(["new" => $n, "peak" => memory_get_peak_usage()]);',
            'http://localhost/',
            ['memory_limit=48M']
        );
        $done = json_decode(trim($out), true);
        $logged = (int) trim(
            self::wp('global $wpdb; echo (int) $wpdb->get_var("SELECT COUNT(*) FROM " . MultisiteWebhooks\Store\Schema::table("deliveries") . " WHERE webhook_id IN (' . implode(',', $ids) . ')");')
        );
        $this->assertSame(120, $logged, 'every attempt of these 40 events to the 3 webhooks is logged: ' . $out);
        $this->assertGreaterThanOrEqual(120, $done['new'], $out);
        $this->assertSame(40, (int) trim(self::wp($stored)) - $before, 'each payload stored once');
        $again = (int) trim(self::wp('echo ' . self::P . '->importer()->run(5.0);'));
        $this->assertSame(0, $again, 'a second import duplicates nothing');
    }

    // ------------------------------------------------------------------ 4. nothing vanishes

    public function testALongTaglineIsCutNotSilencingTheSitesEvents(): void
    {
        $this->createWebhook('Archive feed', '/archived', ['site_archived']);
        $site = (int) trim(self::wp('$id = wpmu_create_blog("localhost", "/tagline" . wp_rand() . "/", "Long Tagline", 1);
            switch_to_blog($id); update_option("blogdescription", str_repeat("ह", 400000)); restore_current_blog(); echo $id;'));
        self::wp('update_blog_status(' . $site . ', "archived", 1);');
        $body = json_decode($this->waitForPosts('/archived', 1)[0]['body'], true);
        $this->assertSame($site, $body['site_id']);
        $this->assertTrue($body['site_description_truncated']);
        $this->assertLessThanOrEqual(4096, strlen($body['site_description']));
        $this->assertStringStartsWith('हहह', $body['site_description'], 'cut at a character boundary');
        self::wp('require_once ABSPATH . "wp-admin/includes/ms.php"; wpmu_delete_blog(' . $site . ', true);');
    }

    public function testAnEventTheEngineRefusesIsRecordedAndCounted(): void
    {
        $this->createWebhook('Pings', '/pings', ['test_ping']);
        $r = self::wpJson('$r = hooks_emit("test_ping", \'{"text":"\' . str_repeat("a", 1100000) . \'"}\');
            echo json_encode(is_wp_error($r) ? ["error" => $r->get_error_message(), "kind" => $r->get_error_data()["kind"] ?? null] : ["id" => $r]);');
        $this->assertSame('too_large', $r['kind'] ?? null, json_encode($r));
        $refused = self::wpJson('echo json_encode(' . self::P . '->deliveries()->list(["status" => "refused", "event" => "test_ping"]));');
        $this->assertNotEmpty($refused, 'the refusal is in the delivery log');
        $this->assertSame('too_large', $refused[0]['error_kind']);
        $this->assertSame(0, $refused[0]['webhook_id']);
        $this->assertStringContainsString('refused and can never be sent', implode("\n", self::noticeTexts()));
        $cli = self::cli('webhook delivery list', [], ['status' => 'refused', 'format' => 'json']);
        $this->assertSame(0, $cli['status'], json_encode($cli));
        $this->assertNotEmpty(json_decode($cli['out'], true), 'WP-CLI lists it');
        $rest = self::rest('GET', '/deliveries?status=refused', null, self::applicationPassword('admin'));
        $this->assertSame(200, $rest['status'], $rest['raw']);
        $this->assertSame('too_large', $rest['body'][0]['error_kind'] ?? null, 'REST lists it, with its kind');
    }

    public function testTheOutboxChecksAtInsertAndDrainsInBoundedBatches(): void
    {
        $this->createWebhook('Outboxed', '/outboxed', ['test_ping']);
        $noFfi = ['ffi.enable=0'];
        $deep = '{"a":' . str_repeat('[', 70) . str_repeat(']', 70) . '}';
        $r = self::wpJson('$r = hooks_emit("test_ping", ' . var_export($deep, true) . ');
            echo json_encode(is_wp_error($r) ? ["kind" => $r->get_error_data()["kind"] ?? null] : ["id" => $r]);', 'http://localhost/', $noFfi);
        $this->assertSame(['kind' => 'too_deep'], $r, 'refused at once, not kept to be dropped later');
        $this->assertSame(0, (int) trim(self::wp('echo ' . self::P . '->outbox()->count();')));
        $ok = trim(self::wp('echo hooks_emit("test_ping", ["n" => 5]);', 'http://localhost/', $noFfi));
        $this->assertInOutbox($ok);
        // Rows that reached the outbox some other way: 30 of 500 KB, and one the engine refuses.
        self::wp('$o = ' . self::P . '->outbox(); for ($i = 0; $i < 30; $i++) { $o->add("test_ping", json_encode(["n" => 100 + $i, "pad" => str_repeat("p", 500000)]), "test"); }
            $o->add("test_ping", "[1,2]", "test");');
        $first = (int) trim(self::wp('$p = ' . self::P . '; echo $p->outbox()->drain($p->engine(), [$p->emitter(), "refuseFromOutbox"]);'));
        $this->assertGreaterThan(0, $first);
        $this->assertLessThan(31, $first, 'one drain moves about 8 MB, not everything');
        $tick = self::wpJson('echo json_encode(MultisiteWebhooks\Cron::tick(' . self::P . ', 30));');
        $this->assertSame(31 - $first, $tick['moved']);
        $this->assertSame(0, (int) trim(self::wp('echo ' . self::P . '->outbox()->count();')));
        $refused = self::wpJson('echo json_encode(' . self::P . '->deliveries()->list(["status" => "refused"]));');
        $this->assertContains('not_object', array_column($refused, 'error_kind'), 'the row the engine refused is in the log');
        $this->waitForPosts('/outboxed', 31, 30.0); // The one raised without FFI and the 30 rows.
    }

    // ------------------------------------------------------------------ 5. one set of rules

    public function testATestSendIsNeverRedeliveredFromAnySurface(): void
    {
        $hook = $this->createWebhook('Tested', '/tested', ['test_ping']);
        $r = self::wpJson('echo json_encode(' . self::P . '->operations()->sendTest(' . $hook['id'] . ', "test_ping"));');
        $delivery = (int) $r['delivery_id'];
        $rest = self::rest('POST', "/deliveries/$delivery/retry", null, self::applicationPassword('admin'));
        $this->assertSame(409, $rest['status'], $rest['raw']);
        $this->assertSame('multisite_webhooks_test_send', $rest['body']['code']);
        $cli = self::cli('webhook delivery retry', [(string) $delivery]);
        $this->assertSame(1, $cli['status']);
        $this->assertStringContainsString('Test sends are not redelivered', $cli['err']);
        usleep(500_000);
        $this->assertCount(1, $this->posts('/tested'), 'only the test itself was sent');
    }

    public function testRedeliverAllFailedSendsOnlyWhatWasNotDeliveredSince(): void
    {
        $path = '/seq/500,500,500,500,200';
        $this->createWebhook('Down, then up', $path, ['test_ping']);
        $eventId = trim(self::wp('$e = ' . self::P . '->engine(); $id = hooks_emit("test_ping", ["n" => 9]); $e->flush(30000); echo $id;'));
        $rows = $this->rowsOf($eventId, 4);
        $this->assertSame('failed', end($rows)['outcome'], 'failed for good after the retries');
        $first = self::cli('webhook delivery retry', [], ['all-failed' => true, 'yes' => true]);
        $this->assertSame(0, $first['status'], json_encode($first));
        $this->assertStringContainsString('Queued 1 delivery again.', $first['err'] . $first['out']);
        $this->waitForPosts($path, 5);
        $this->rowsOf($eventId, 5);
        $second = self::cli('webhook delivery retry', [], ['all-failed' => true, 'yes' => true]);
        $this->assertSame(0, $second['status'], json_encode($second));
        $this->assertStringContainsString('No failed deliveries to retry.', $second['err'] . $second['out']);
        usleep(1_500_000);
        $this->assertCount(5, $this->posts($path), 'the event delivered since is not sent again');
    }

    public function testAWebhookSavedWithoutAnEngineIsCheckedByTheFirstProcessWithOne(): void
    {
        $saved = self::wpJson(
            'echo json_encode(' . self::P . '->operations()->saveWebhook(null, ["name" => "Inside", "webhook_url" => "http://10.1.2.3/hook", "events" => ["test_ping"]]));',
            'http://localhost/',
            ['ffi.enable=0']
        );
        $this->assertFalse($saved['url_checked'], 'saved as unchecked where no engine could be asked');
        $hook = self::wpJson('echo json_encode(' . self::P . '->webhooks()->get(' . (int) $saved['id'] . '));');
        $this->assertSame('active', $hook['status']);
        $this->assertFalse($hook['url_checked']);
        self::wpJson('echo json_encode(MultisiteWebhooks\Cron::tick(' . self::P . ', 5));');
        $hook = self::wpJson('echo json_encode(' . self::P . '->webhooks()->get(' . (int) $saved['id'] . '));');
        $this->assertSame('disabled', $hook['status'], json_encode($hook));
        $this->assertTrue($hook['url_checked']);
        $this->assertStringContainsString('10.1.2.3 (private', $hook['disabled_reason']);
        // Every save path refuses it outright where an engine can judge it.
        $r = self::rest('POST', '/webhooks', ['name' => 'Inside', 'webhook_url' => 'http://10.1.2.3/hook', 'events' => ['test_ping']], self::applicationPassword('admin'));
        $this->assertSame(400, $r['status']);
        $this->assertStringContainsString('10.1.2.3 (private', $r['body']['data']['params']['webhook_url']);
    }

    public function testEverySavePathTakesTheEnginesUrlRule(): void
    {
        $cred = self::applicationPassword('admin');
        $r = self::rest('POST', '/webhooks', ['name' => 'IDN', 'webhook_url' => 'https://bücher.example/hook', 'events' => ['test_ping']], $cred);
        $this->assertSame(201, $r['status'], $r['raw']);
        $this->assertSame('https://xn--bcher-kva.example/hook', $r['body']['webhook_url'], 'saved in the form the engine and DNS use');
        foreach (['http://%31%32%37.0.0.2/' => 'not a valid host name', 'http://127.0.0.1:18350:80/ok' => 'port of the URL must be one number'] as $url => $words) {
            $r = self::rest('POST', '/webhooks', ['name' => 'Bad', 'webhook_url' => $url, 'events' => ['test_ping']], $cred);
            $this->assertSame(400, $r['status'], $url);
            $cli = self::cli('webhook create', [], ['name' => 'Bad', 'webhook_url' => $url, 'events' => 'test_ping']);
            $this->assertSame(1, $cli['status'], $url);
            $this->assertStringContainsString($words, $cli['err']);
            $degraded = self::wpJson('$r = ' . self::P . '->operations()->saveWebhook(null, ["name" => "Bad", "webhook_url" => ' . var_export($url, true) . ', "events" => ["test_ping"]]);
                echo json_encode(is_wp_error($r) ? $r->get_error_messages("webhook_url") : $r);', 'http://localhost/', ['ffi.enable=0']);
            $this->assertStringContainsString($words, $degraded[0] ?? '', 'refused without an engine too: ' . json_encode($degraded));
        }
        $this->assertSame(1, (int) trim(self::wp('echo ' . self::P . '->webhooks()->count();')), 'only the good one was saved');
    }

    public function testSavingKeepsSubscriptionsToEventsNotRaisedRightNow(): void
    {
        $id = self::insertRow('Mixed', $this->receiver->url('/mixed'), ['test_ping', 'gone_plugin_event']);
        $r = self::wpJson('echo json_encode(' . self::P . '->operations()->saveWebhook(' . $id . ', ["name" => "Mixed, renamed", "events" => ["test_ping", "gone_plugin_event"]]));');
        $this->assertSame($id, $r['id'] ?? null, json_encode($r));
        $cli = self::cli('webhook update', [(string) $id], ['name' => 'Renamed by CLI']);
        $this->assertSame(0, $cli['status'], json_encode($cli));
        $rest = self::rest('PATCH', "/webhooks/$id", ['events' => ['test_ping', 'gone_plugin_event']], self::applicationPassword('admin'));
        $this->assertSame(200, $rest['status'], $rest['raw']);
        $hook = self::wpJson('echo json_encode(' . self::P . '->webhooks()->get(' . $id . '));');
        $this->assertSame(['test_ping', 'gone_plugin_event'], $hook['events']);
        $jar = self::login();
        [, $page] = self::http('http://localhost/wp-admin/network/admin.php?page=multisite-webhooks-edit&id=' . $id, $jar);
        $this->assertStringContainsString('Not raised while the plugin or code that registers it is inactive', $page);
        $this->assertMatchesRegularExpression('/value="gone_plugin_event" checked/', $page, 'shown ticked, so saving the form keeps it');
        unlink($jar);
        // A brand-new subscription must still name a known event.
        $bad = self::wpJson(
            '$r = ' . self::P . '->operations()->saveWebhook(' . $id . ', ["events" => ["test_ping", "never_heard_of"]]); echo json_encode(is_wp_error($r) ? $r->get_error_messages("events") : $r);'
        );
        $this->assertSame(['There is no event called "never_heard_of".'], $bad);
    }

    public function testOnlyAnExplicitTurnOnReEnablesADisabledWebhook(): void
    {
        $hook = $this->createWebhook('Gone', '/gone', ['test_ping']);
        self::wp(self::P . '->webhooks()->markDisabled(' . $hook['id'] . ', "the endpoint answered 410 Gone", "gone");');
        self::wp(self::P . '->operations()->saveWebhook(' . $hook['id'] . ', ["name" => "Gone, renamed"]);');
        $r = self::rest('PATCH', '/webhooks/' . $hook['id'], ['name' => 'Gone, renamed by REST'], self::applicationPassword('admin'));
        $this->assertSame(200, $r['status'], $r['raw']);
        $this->assertSame('disabled', $r['body']['status'], 'a rename keeps it disabled');
        self::cli('webhook update', [(string) $hook['id']], ['name' => 'Gone, renamed by CLI']);
        $this->assertSame('disabled', self::wpJson('echo json_encode(' . self::P . '->webhooks()->get(' . $hook['id'] . ')["status"]);'));
        $r = self::rest('PATCH', '/webhooks/' . $hook['id'], ['active' => true], self::applicationPassword('admin'));
        $this->assertSame('active', $r['body']['status'], 'turning it on is explicit');
    }

    // ------------------------------------------------------------------ 6. kinds, not prose

    public function testEngineAnswersBecomeSentences(): void
    {
        $port = (function (): int {
            $s = stream_socket_server('tcp://127.0.0.1:0');
            $name = stream_socket_get_name($s, false);
            fclose($s);
            return (int) substr($name, strrpos($name, ':') + 1);
        })();
        $id = self::insertRow('Closed port', "http://127.0.0.1:$port/hook", ['test_ping']);
        $r = self::wpJson('echo json_encode(' . self::P . '->operations()->sendTest(' . $id . ', "test_ping"));');
        $this->assertFalse($r['ok']);
        $this->assertSame('connect_refused', $r['error_kind']);
        $this->assertStringContainsString('refused the connection', $r['error_sentence']);
        $refusal = self::wp('echo ' . self::P . '->operations()->urlRefusal("http://169.254.169.254/latest");');
        $this->assertStringContainsString('169.254.169.254 (link-local', $refusal);
        $degraded = self::wpJson('$e = ' . self::P . '->engine(); echo json_encode([get_class($e), $e->delivers()]);', 'http://localhost/', ['ffi.enable=0']);
        $this->assertSame(['MultisiteWebhooks\Engine\OutboxEngine', false], $degraded, 'degraded mode is an engine of its own');
    }
}
