<?php
/**
 * Where network admins host: a command run as root never leaves spool files PHP-FPM cannot
 * open (and `doctor` finds any that are there), and preload.php does nothing when requested
 * over HTTP.
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Tests\Wp;

final class HostingTest extends WpTestCase
{
    /** Runs PHP inside WordPress as root (as `wp --allow-root` would), not as the web user. */
    private static function asRoot(string $code): string
    {
        if (posix_geteuid() !== 0) {
            throw new \RuntimeException('tests/wp run as root (tools/wp/up.sh needs it): this test runs a process as root');
        }
        $cmd = ['env', 'MWH_WP_URL=http://localhost/', 'MWH_WP_PATH=' . self::$env['WP_PATH'], 'MWH_RUN_USER=',
            'php', HOOKS_TEST_ROOT . '/tools/wp/php/run.php', '-r', $code];
        $proc = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        if (proc_close($proc) !== 0) {
            throw new \RuntimeException("as root: $code\n$out\n$err");
        }
        return $out;
    }

    /** Spool files (and folders) owned by root. @return list<string> */
    private static function rootOwned(): array
    {
        $dir = self::$env['MWH_SPOOL_DIR'];
        $out = [];
        foreach (new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator($dir, \FilesystemIterator::SKIP_DOTS), \RecursiveIteratorIterator::SELF_FIRST) as $f) {
            if ($f->getOwner() === 0) {
                $out[] = $f->getPathname();
            }
        }
        return $out;
    }

    public function testACommandRunAsRootLeavesNoFileTheWebUserCannotOpen(): void
    {
        $this->createWebhook('Pings', '/pings', ['test_ping']);
        self::wp('echo hooks_emit("test_ping", ["n" => 0]);'); // The spool exists, owned by the web user.
        $this->assertSame([], self::rootOwned());
        $out = json_decode(trim(self::asRoot('$p = MultisiteWebhooks\Plugin::instance(); $id = hooks_emit("test_ping", ["n" => 1]);
            echo json_encode([get_class($p->engine()), $id, $p->loader()->fix()]);')), true);
        $this->assertSame('MultisiteWebhooks\Engine\OutboxEngine', $out[0], 'root does not start the engine in the web user\'s spool');
        $this->assertInOutbox($out[1], 'its event waits in the database');
        $this->assertStringContainsString('sudo -u www-data -- wp', $out[2], 'and it says how to run it');
        $this->assertSame([], self::rootOwned(), 'no root-owned file in the spool');
        // A process that moves the outbox as the web user delivers it.
        self::wpJson('echo json_encode(MultisiteWebhooks\Cron::tick(MultisiteWebhooks\Plugin::instance(), 10));');
        $posts = $this->waitForPosts('/pings', 2);
        $this->assertCount(2, $posts);
        $ids = array_column(array_map(static fn (array $p): array => ['n' => json_decode($p['body'], true)['n'], 'id' => $p['headers']['webhook-id']], $posts), 'id', 'n');
        $this->assertSame($out[1], $ids[1], 'delivered under the id reported when it was raised');
    }

    public function testDoctorFindsSpoolFilesOfAnotherUser(): void
    {
        $stray = self::$env['MWH_SPOOL_DIR'] . '/left-by-root';
        touch($stray);
        chmod($stray, 0644);
        try {
            $checks = self::wpJson('echo json_encode((new MultisiteWebhooks\Cli\Doctor(MultisiteWebhooks\Plugin::instance()))->run());');
            $byName = array_column($checks, null, 'check');
            $this->assertFalse($byName['spool files owned and private']['ok']);
            $this->assertStringContainsString('left-by-root (root, 0644)', $byName['spool files owned and private']['detail']);
        } finally {
            unlink($stray);
        }
        $checks = self::wpJson('echo json_encode((new MultisiteWebhooks\Cli\Doctor(MultisiteWebhooks\Plugin::instance()))->run());');
        $this->assertTrue(array_column($checks, null, 'check')['spool files owned and private']['ok']);
    }

    /** Starts `wp webhook worker` (as the web user) in the background. @return array{0:resource,1:array} */
    private static function startWorker(int $seconds): array
    {
        $before = self::workerPids();
        $cmd = [HOOKS_TEST_ROOT . '/tools/wp/wp-php.sh', '--url=http://localhost/', __DIR__ . '/fixtures/cli/run.php', 'webhook worker', '[]',
            json_encode(['max-seconds' => (string) $seconds])];
        $proc = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        // A page-serving worker that leads now steps down for it (nobody restarts PHP-FPM).
        $end = microtime(true) + 20;
        do {
            usleep(200_000);
            $pid = (int) (array_values(array_diff(self::workerPids(), $before))[0] ?? 0);
            $leader = (int) self::wpJson('echo json_encode(MultisiteWebhooks\Plugin::instance()->engine()->stats()["leader_pid"]);');
        } while (($pid === 0 || $leader !== $pid) && microtime(true) < $end);
        if ($pid === 0 || $leader !== $pid) {
            foreach (array_diff(self::workerPids(), $before) as $p) {
                posix_kill($p, SIGKILL);
            }
            throw new \RuntimeException("the worker (pid $pid) did not take over delivery (leader $leader)");
        }
        return [$proc, $pipes, $pid];
    }

    /** The PHP processes (the web user's) running `webhook worker`. @return list<int> */
    private static function workerPids(): array
    {
        return array_map('intval', array_filter(explode("\n", (string) shell_exec("pgrep -u www-data -f 'cli/run.php webhook worker'"))));
    }

    /** Waits for the worker to exit; returns [exit status, stdout, stderr]. */
    private static function waitWorker($proc, array $pipes, float $timeout): array
    {
        $end = microtime(true) + $timeout;
        // proc_get_status() reports the exit code once, when it first sees the exit.
        while (($st = proc_get_status($proc))['running'] && microtime(true) < $end) {
            usleep(100_000);
        }
        $running = $st['running'];
        if ($running) {
            $ps = (string) shell_exec("ps -o pid,ppid,stat,wchan:20,cmd -u www-data | grep 'webhook worker'");
            proc_terminate($proc, SIGKILL);
            return [-1, $ps, ''];
        }
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        proc_close($proc);
        return [(int) $st['exitcode'], $out, $err];
    }

    public function testTheWorkerLeadsAndDeliversAnEventRaisedWithoutFfiWithinTwoSeconds(): void
    {
        $this->createWebhook('Pings', '/worker', ['test_ping']);
        [$proc, $pipes, $pid] = self::startWorker(60);
        try {
            $emitted = json_decode((string) file_get_contents(self::$env['MWH_NOFFI_URL'] . '?mwh_e2e_emit=7'), true);
            $this->assertMatchesRegularExpression('/^msg_[0-9A-HJKMNP-TV-Z]{26}$/', $emitted['id'] ?? '', 'raised where PHP has no FFI, it has its webhook-id at once');
            $got = $this->waitForPosts('/worker', 1, 2.0);
            $this->assertSame(7, json_decode($got[0]['body'], true)['n']);
            $this->assertSame($emitted['id'], $got[0]['headers']['webhook-id'], 'and the receiver sees that id');
            // While the worker lives, page views do not take delivery over.
            file_get_contents('http://localhost/');
            $this->assertSame($pid, (int) self::wpJson('echo json_encode(MultisiteWebhooks\Plugin::instance()->engine()->stats()["leader_pid"]);'));
        } finally {
            posix_kill($pid, SIGTERM);
            [$status, $out] = self::waitWorker($proc, $pipes, 15);
        }
        $this->assertSame(0, $status, $out);
        $this->assertStringContainsString('Worker stopped (signal)', $out);
    }

    public function testAnEventRaisedBeforeAWebhookWasCreatedIsNotForItToTheMillisecond(): void
    {
        $hook = $this->createWebhook('Later', '/later', ['test_ping']);
        // Raised 1 ms before the webhook was created and kept elsewhere first (the outbox), then one 1 ms after.
        $ids = self::wpJson('global $wpdb; $p = MultisiteWebhooks\Plugin::instance();
            $ms = (int) $wpdb->get_var($wpdb->prepare("SELECT activated_ms FROM " . MultisiteWebhooks\Store\Schema::table("webhooks") . " WHERE id = %d", ' . $hook['id'] . '));
            $before = MultisiteWebhooks\Store\Outbox::newId($ms - 1); $after = MultisiteWebhooks\Store\Outbox::newId($ms + 1);
            $p->engine()->emitAs($before, "test_ping", "{\"n\":1}"); $p->engine()->emitAs($after, "test_ping", "{\"n\":2}");
            echo json_encode([$ms, $before, $after]);');
        $this->assertGreaterThan(0, $ids[0], 'the webhook knows the millisecond it was created');
        $this->waitForPosts('/later', 1);
        usleep(1_500_000); // Both went into the spool together: the earlier one, if heard, would be here by now.
        $got = $this->posts('/later');
        $this->assertSame([$ids[2]], array_map(static fn (array $r): string => $r['headers']['webhook-id'], $got), 'only the event raised after it');
    }

    public function testAWorkerStoppedOrKilledMidAttemptLosesNothing(): void
    {
        foreach ([SIGTERM, SIGKILL] as $signal) {
            $path = $signal === SIGTERM ? '/sleep/1500' : '/sleep/1501';
            $this->createWebhook("Slow $signal", $path, ['test_ping']);
            [$proc, $pipes, $pid] = self::startWorker(60);
            $id = trim(self::wp('echo hooks_emit("test_ping", ["n" => ' . $signal . ']);'));
            usleep(600_000); // The attempt is on the wire (the receiver answers after 1.5 s).
            posix_kill($pid, $signal);
            [$status] = self::waitWorker($proc, $pipes, 15);
            $this->assertNotSame(-1, $status, 'the worker exited');
            // The next leader (a page-serving worker) finishes the job: at least once, same id.
            $end = microtime(true) + 30;
            do {
                file_get_contents('http://localhost/');
                self::importResults();
                $rows = self::wpJson('echo json_encode(MultisiteWebhooks\Plugin::instance()->deliveries()->list(["event_id" => ' . var_export($id, true) . ', "status" => "delivered"]));');
                usleep(300_000);
            } while ($rows === [] && microtime(true) < $end);
            $this->assertNotEmpty($rows, "delivered after signal $signal");
            $this->assertSame($id, $this->posts($path)[0]['headers']['webhook-id'] ?? null, sprintf(
                'signal %d; posts: %s',
                $signal,
                json_encode(array_map(static fn (array $r): array => [$r['path'], $r['headers']['webhook-id'] ?? '', $r['body']], $this->receiver->requests()))
            ));
            self::wp('foreach (MultisiteWebhooks\Plugin::instance()->webhooks()->list() as $h) { MultisiteWebhooks\Plugin::instance()->webhooks()->delete($h["id"]); }');
        }
    }

    public function testThePoolWithoutFfiSendsTestsRedeliversAndChecksUrlsThroughTheWorker(): void
    {
        $hook = $this->createWebhook('Handed over', '/handover', ['test_ping']);
        $cred = self::applicationPassword(self::$env['MWH_ADMIN_USER']);
        $noffi = self::$env['MWH_NOFFI_URL'];
        self::wp('delete_site_option(MultisiteWebhooks\Options::WORKER_HEARTBEAT);');

        // No worker: the test send is refused, saying what is missing and how to fix it.
        $r = self::rest('POST', '/webhooks/' . $hook['id'] . '/test', [], $cred, $noffi);
        $this->assertSame(503, $r['status'], $r['raw']);
        $this->assertStringContainsString('no delivery worker is running', $r['body']['message']);
        $this->assertStringContainsString('sudo -u www-data -- wp --path=' . rtrim(self::$env['WP_PATH'], '/') . ' webhook worker', $r['body']['message']);
        $this->assertStringContainsString('contrib/multisite-webhooks-worker.service', $r['body']['message']);
        $this->assertStringContainsString('ffi.enable', $r['body']['message'], 'and why this PHP has no engine');
        $this->assertSame([], $this->posts('/handover'));
        $health = self::wpJson('echo json_encode(MultisiteWebhooks\Plugin::instance()->operations()->deliveryPath());', 'http://localhost/', ['ffi.enable=0']);
        $this->assertNotSame('worker', $health['kind'], 'no worker is named as delivering');

        [$proc, $pipes, $pid] = self::startWorker(90);
        try {
            $this->assertSame('worker', self::wpJson('echo json_encode(MultisiteWebhooks\Plugin::instance()->operations()->deliveryPath()["kind"]);', 'http://localhost/', ['ffi.enable=0']));
            // The test send: the worker sends and logs it; the page gets the receiver's answer.
            $r = self::rest('POST', '/webhooks/' . $hook['id'] . '/test', [], $cred, $noffi);
            $this->assertSame(200, $r['status'], $r['raw']);
            $this->assertTrue($r['body']['ok'], $r['raw']);
            $this->assertSame(200, $r['body']['status']);
            $this->assertGreaterThan(0, $r['body']['delivery_id'], 'logged as a delivery');
            $sent = $this->posts('/handover');
            $this->assertCount(1, $sent);
            $this->assertSignedDelivery($sent[0], 'test_ping');

            // A redelivery asked for where PHP has no FFI: the same webhook-id again.
            $eventId = trim(self::wp('echo hooks_emit("test_ping", ["n" => 41]);'));
            $this->waitForPosts('/handover', 2);
            $end = microtime(true) + 20;
            do {
                self::importResults();
                $rows = self::wpJson('echo json_encode(MultisiteWebhooks\Plugin::instance()->deliveries()->list(["event_id" => ' . var_export($eventId, true) . ']));');
            } while ($rows === [] && microtime(true) < $end && usleep(200_000) === null);
            $this->assertNotEmpty($rows, 'the event was logged');
            $r = self::rest('POST', '/deliveries/' . $rows[0]['id'] . '/retry', [], $cred, $noffi);
            $this->assertSame(202, $r['status'], $r['raw']);
            $again = $this->waitForPosts('/handover', 3);
            $this->assertSame($eventId, $again[2]['headers']['webhook-id']);

            // The URL check at save: the worker's SSRF guard judges it at once.
            $r = self::rest('POST', '/webhooks', ['name' => 'Private', 'webhook_url' => 'http://10.1.2.3/hook', 'events' => ['test_ping']], $cred, $noffi);
            $this->assertSame(400, $r['status'], 'a private address is refused at save, not saved unchecked: ' . $r['raw']);
            $this->assertStringContainsString('10.1.2.3', $r['raw']);
        } finally {
            posix_kill($pid, SIGTERM);
            [$status, $out] = self::waitWorker($proc, $pipes, 15);
        }
        $this->assertSame(0, $status, $out);
        $this->assertMatchesRegularExpression('/\d+ jobs done for web requests/', $out);
        $this->assertNull(self::wpJson('echo json_encode(MultisiteWebhooks\Plugin::instance()->jobs()->worker());'), 'a stopped worker is not waited for');
    }

    public function testEventsWaitingInTheOutboxOverFiveMinutesRaiseANoticeWithTheFix(): void
    {
        $notices = 'echo json_encode(array_column(MultisiteWebhooks\Notices::collect(MultisiteWebhooks\Plugin::instance()), 1));';
        self::wp('global $wpdb; $wpdb->insert(MultisiteWebhooks\Store\Schema::table("outbox"),
            ["event" => "test_ping", "payload" => "{}", "reason" => "test", "date_created" => gmdate("Y-m-d H:i:s", time() - 240)]);');
        try {
            $young = implode("\n", self::wpJson($notices, 'http://localhost/', ['ffi.enable=0']));
            $this->assertStringNotContainsString('in the outbox: nothing moves', $young, 'four minutes is not yet a problem');
            self::wp('global $wpdb; $wpdb->query("UPDATE " . MultisiteWebhooks\Store\Schema::table("outbox") . " SET date_created = \"" . gmdate("Y-m-d H:i:s", time() - 600) . "\"");');
            $old = implode("\n", self::wpJson($notices, 'http://localhost/', ['ffi.enable=0']));
            $this->assertStringContainsString('1 event has waited 10 minutes in the outbox: nothing moves it to the engine.', $old);
            $this->assertStringContainsString('webhook worker', $old);
        } finally {
            self::wp('global $wpdb; $wpdb->query("DELETE FROM " . MultisiteWebhooks\Store\Schema::table("outbox"));');
        }
    }

    public function testTheDefaultSpoolLiesOutsideTheDocumentRootInEveryLayout(): void
    {
        $layouts = self::wpJson('use MultisiteWebhooks\Settings; echo json_encode([
            Settings::defaultSpoolDir("/var/www/html", "https://example.com"),
            Settings::defaultSpoolDir("/var/www/html/wp", "https://example.com/wp"),
            Settings::defaultSpoolDir("/var/www/html/blog/wp", "https://example.com/blog/wp"),
            Settings::defaultSpoolDir("/var/www/html/blog", "https://example.com/blog/"),
        ]);');
        $this->assertSame(
            array_fill(0, 4, '/var/www/multisite-webhooks-spool'),
            $layouts,
            'WordPress at the root, in its own directory, in its own directory under a path, under a path'
        );
        // "WordPress in its own directory", on disk: the folder beside WordPress's (the old
        // default) is served; the new default is outside every served folder.
        $root = sys_get_temp_dir() . '/mwh-layout-' . bin2hex(random_bytes(4));
        mkdir($root . '/html/wp', 0755, true);
        try {
            $urls = self::wpJson('use MultisiteWebhooks\SpoolExposure;
                $served = [' . var_export($root . '/html/wp', true) . ' => "https://example.com/wp/", ' . var_export($root . '/html', true) . ' => "https://example.com/"];
                echo json_encode([SpoolExposure::urlOf(' . var_export($root . '/html/multisite-webhooks-spool', true) . ', $served),
                    SpoolExposure::urlOf(MultisiteWebhooks\Settings::defaultSpoolDir(' . var_export($root . '/html/wp', true) . ', "https://example.com/wp"), $served)]);');
            $this->assertSame(['https://example.com/multisite-webhooks-spool/', null], $urls);
        } finally {
            exec('rm -rf ' . escapeshellarg($root));
        }
        // This network (WordPress at the document root): the default is beside it, and the URL
        // a spool inside would have answers 404.
        $here = self::wpJson('$dir = MultisiteWebhooks\Settings::defaultSpoolDir(rtrim(ABSPATH, "/"), get_site_url());
            echo json_encode([$dir, MultisiteWebhooks\SpoolExposure::urlOf($dir)]);');
        $this->assertSame(dirname(rtrim(self::$env['WP_PATH'], '/')) . '/multisite-webhooks-spool', $here[0]);
        $this->assertNull($here[1], 'outside every folder nginx serves for the network');
        $ctx = stream_context_create(['http' => ['timeout' => 10, 'ignore_errors' => true]]);
        @file_get_contents('http://localhost/multisite-webhooks-spool/endpoints.json', false, $ctx);
        $this->assertMatchesRegularExpression('/ (403|404) /', $http_response_header[0] ?? '');
    }

    public function testASpoolTheWebServerHandsOutIsFoundAndTheEngineRefusesIt(): void
    {
        $check = 'echo json_encode(MultisiteWebhooks\SpoolExposure::check(MultisiteWebhooks\Settings::spoolDir()));';
        $v = self::wpJson($check);
        $this->assertFalse($v['served'], 'the environment\'s spool is not served: ' . $v['detail']);
        $this->assertNull($v['url']);

        $name = 'mwh-served-spool-' . bin2hex(random_bytes(4));
        $dir = self::$env['WP_CONTENT_DIR'] . '/uploads/' . $name;
        $there = 'add_filter("multisite_webhooks_spool_dir", static fn () => ' . var_export($dir, true) . ');';
        try {
            $v = self::wpJson($there . $check);
            $this->assertTrue($v['served'], $v['detail']);
            $this->assertSame('http://localhost/wp-content/uploads/' . $name . '/', $v['url']);
            $this->assertSame([], glob($dir . '/probe-*'), 'the probe file is removed');
            // The engine does not start there: the event waits in the outbox, no secret is written.
            $r = self::wpJson($there . '$id = hooks_emit("test_ping", ["n" => 1]); $loader = MultisiteWebhooks\Plugin::instance()->loader();
                echo json_encode([$id, $loader->reason(), $loader->fix()]);');
            $this->assertInOutbox((string) $r[0]);
            $this->assertStringContainsString('is served over HTTP', $r[1]);
            $this->assertStringContainsString('MULTISITE_WEBHOOKS_SPOOL_DIR', $r[2]);
            $this->assertFileDoesNotExist($dir . '/endpoints.json');
            $checks = array_column(self::wpJson($there . 'echo json_encode((new MultisiteWebhooks\Cli\Doctor(MultisiteWebhooks\Plugin::instance()))->run());'), null, 'check');
            $this->assertFalse($checks['spool not served over HTTP']['ok']);
            $this->assertStringContainsString('MULTISITE_WEBHOOKS_SPOOL_DIR', $checks['spool not served over HTTP']['fix']);
        } finally {
            exec('rm -rf ' . escapeshellarg($dir));
            self::wp('global $wpdb; $wpdb->query("DELETE FROM " . MultisiteWebhooks\Store\Schema::table("outbox"));');
        }
        $this->assertFalse(self::wpJson($check)['served'], 'the real spool checked again');
    }

    public function testPreloadDoesNothingWhenRequestedOverHttp(): void
    {
        $ctx = stream_context_create(['http' => ['timeout' => 10, 'ignore_errors' => true]]);
        $body = (string) file_get_contents(self::$env['MWH_NOFFI_URL'] . 'wp-content/plugins/multisite-webhooks/preload.php', false, $ctx);
        $this->assertMatchesRegularExpression('/ (200|403|404) /', $http_response_header[0] ?? '', 'no fatal error: ' . $body);
        $this->assertStringNotContainsString('Fatal', $body);
    }
}
