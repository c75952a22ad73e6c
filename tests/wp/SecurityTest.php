<?php

declare(strict_types=1);

namespace MultisiteWebhooks\Tests\Wp;

/**
 * Attacks through the real plugin: webhook URLs that point inside the network (refused when a
 * webhook is saved through the admin, REST or WP-CLI, and again when a request would be made),
 * redirects, secrets leaking into pages, lists and logs, and the spool's exposure.
 * The local network allow-lists 127.0.0.1 (MULTISITE_WEBHOOKS_SSRF_ALLOW) for its receivers;
 * everything else private is refused.
 */
final class SecurityTest extends WpTestCase
{
    /** A name that resolves to a loopback address that is not allow-listed. */
    private const LOOPBACK_NAME = 'mwh-e2e-loopback.test';

    private static string $hostsBackup = '';

    public static function setUpBeforeClass(): void
    {
        parent::setUpBeforeClass();
        self::$hostsBackup = (string) file_get_contents('/etc/hosts');
        file_put_contents('/etc/hosts', self::$hostsBackup . "\n127.0.0.2 " . self::LOOPBACK_NAME . "\n");
    }

    public static function tearDownAfterClass(): void
    {
        file_put_contents('/etc/hosts', self::$hostsBackup);
        parent::tearDownAfterClass();
    }

    /** @return array<string, array{0:string,1:string}> URL => the kind of address the refusal names. */
    public static function privateUrls(): array
    {
        return [
            'loopback' => ['http://127.0.0.2:8080/hook', '127.0.0.2 (loopback'],
            'RFC 1918 10/8' => ['http://10.1.2.3/hook', '10.1.2.3 (private'],
            'RFC 1918 192.168/16' => ['https://192.168.1.1/hook', '192.168.1.1 (private'],
            'cloud metadata' => ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 (link-local'],
            'CGNAT' => ['http://100.64.0.1/hook', '100.64.0.1 ('],
            'IPv6 loopback' => ['http://[::1]:8080/hook', '::1 (loopback'],
            'IPv6 unique local' => ['http://[fd00::1]/hook', 'fd00::1 ('],
            'IPv4-mapped IPv6' => ['http://[::ffff:127.0.0.2]/hook', '127.0.0.2 (loopback'],
            'decimal IPv4' => ['http://2130706434/hook', '127.0.0.2 (loopback'],
            'a name resolving to loopback' => ['http://' . self::LOOPBACK_NAME . ':8080/hook', '127.0.0.2 (loopback'],
        ];
    }

    public function testEveryPrivateAddressIsRefusedWhenSavedThroughTheAdminRestAndCli(): void
    {
        $urls = array_map(static fn (array $u): string => $u[0], self::privateUrls());
        $r = self::wpJson('wp_set_current_user(1); $out = [];
            foreach (' . var_export($urls, true) . ' as $k => $url) {
                $v = MultisiteWebhooks\Plugin::instance()->operations()->validateWebhook(["name" => "x " . $k, "webhook_url" => $url, "events" => ["test_ping"]], false);
                $req = new WP_REST_Request("POST", "/multisite-webhooks/v1/webhooks");
                $req->set_body_params(["name" => "x " . $k, "webhook_url" => $url, "events" => ["test_ping"]]);
                $res = rest_do_request($req);
                $out[$k] = ["save" => is_wp_error($v) ? implode(" ", $v->get_error_messages("webhook_url")) : "",
                    "rest" => $res->get_status(), "rest_error" => (string) ($res->get_data()["data"]["params"]["webhook_url"] ?? "")];
            }
            echo json_encode($out);');
        foreach (self::privateUrls() as $k => [$url, $kind]) {
            $this->assertStringContainsString('refused because it is not on the public internet: ' . $kind, $r[$k]['save'], "$k ($url): save refused, naming the address");
            $this->assertSame(400, $r[$k]['rest'], "$k ($url): REST refuses");
            $this->assertStringContainsString($kind, $r[$k]['rest_error']);
        }
        $this->assertSame('0', trim(self::wp('echo count(MultisiteWebhooks\Plugin::instance()->webhooks()->list());')), 'nothing was saved');
        // The allow-listed receiver address is accepted.
        $ok = self::wp(
            '$v = MultisiteWebhooks\Plugin::instance()->operations()->validateWebhook(["name" => "ok", "webhook_url" => ' . var_export(
                $this->receiver->url('/ok'),
                true
            ) . ', "events" => ["test_ping"]], false); echo is_wp_error($v) ? "refused" : "accepted";'
        );
        $this->assertSame('accepted', trim($ok));
    }

    public function testAStoredPrivateAddressIsRefusedAtDeliveryAndNothingReachesIt(): void
    {
        // A listener on 127.0.0.2 that must never see a connection.
        $server = stream_socket_server('tcp://127.0.0.2:0', $errno, $errstr);
        $this->assertNotFalse($server, "listen on 127.0.0.2: $errstr");
        stream_set_blocking($server, false);
        $port = (int) substr((string) stream_socket_get_name($server, false), strlen('127.0.0.2:'));
        // Stored directly, as a webhook imported from Ultimate Multisite would be (no save-time check).
        $ids = self::wpJson('$w = MultisiteWebhooks\Plugin::instance()->webhooks(); $ids = [];
            foreach (["by address" => "http://127.0.0.2:' . $port . '/hook", "by name" => "http://' . self::LOOPBACK_NAME . ':' . $port . '/hook"] as $n => $u) {
                $ids[] = $w->create(["name" => $n, "webhook_url" => $u, "events" => ["test_ping"], "active" => 1, "hidden" => 0, "integration" => "manual", "payload_format" => "flat"])["id"];
            }
            echo json_encode($ids);');
        $redirect = $this->createWebhook('Redirects', '/redirect', ['test_ping']);
        $healthy = $this->createWebhook('Healthy', '/healthy', ['test_ping']);
        file_get_contents('http://localhost/?mwh_e2e_emit=5');
        $this->waitForPosts('/healthy', 1);
        $this->waitForPosts('/redirect', 1);

        $watch = array_merge($ids, [$redirect['id']]);
        $end = microtime(true) + 40;
        do {
            self::importResults();
            $byHook = self::wpJson('$out = []; foreach (' . var_export($watch, true) . ' as $id) {
                foreach (MultisiteWebhooks\Plugin::instance()->deliveries()->list(["webhook_id" => $id, "per_page" => 20]) as $d) {
                    $out[$id][] = [$d["outcome"], (string) $d["error"], $d["status_code"]]; } }
                echo json_encode((object) $out);');
            $done = count(array_filter($watch, static fn (int $id): bool => isset($byHook[$id]))) === count($watch);
        } while (!$done && microtime(true) < $end && usleep(250_000) === null);
        foreach ($ids as $id) {
            $this->assertArrayHasKey($id, $byHook, 'the refused attempt is in the delivery log');
            $this->assertStringContainsString('ssrf: refused 127.0.0.2 (loopback', $byHook[$id][0][1]);
            $this->assertNotSame('delivered', $byHook[$id][0][0]);
        }
        $this->assertFalse(@stream_socket_accept($server, 0), 'nothing connected to 127.0.0.2');
        fclose($server);
        // A redirect is not followed: the receiver saw /redirect, never its target.
        $this->assertSame(302, $byHook[$redirect['id']][0][2]);
        $this->assertNotSame('delivered', $byHook[$redirect['id']][0][0]);
        $this->assertSame([], $this->posts('/status/200'), 'the redirect target got nothing');
        $this->assertGreaterThan(0, $healthy['id']);
    }

    public function testSecretsAppearNowhereButTheirOneShowing(): void
    {
        $hook = $this->createWebhook('Secretive', '/s', ['test_ping']);
        $rotated = trim(self::wp('echo MultisiteWebhooks\Plugin::instance()->webhooks()->rotateSecret(' . $hook['id'] . ');'));
        $secrets = [$hook['secret'], $rotated, substr($hook['secret'], 6), substr($rotated, 6)];
        $this->receiver->addSecret($rotated);
        file_get_contents('http://localhost/?mwh_e2e_emit=9');
        $this->waitForPosts('/s', 1);
        // The attempt reaches the delivery log once the engine has journaled its result.
        $end = microtime(true) + 40;
        do {
            self::importResults();
            $delivery = (int) self::wp('echo MultisiteWebhooks\Plugin::instance()->deliveries()->list(["webhook_id" => ' . $hook['id'] . '])[0]["id"] ?? 0;');
        } while ($delivery === 0 && microtime(true) < $end && usleep(250_000) === null);
        $this->assertGreaterThan(0, $delivery, 'the attempt is in the delivery log');

        $jar = self::login();
        $pages = [];
        foreach (
            [
                'multisite-webhooks',
                'multisite-webhooks-edit&id=' . $hook['id'],
                'multisite-webhooks-log',
                'multisite-webhooks-log&webhook_id=' . $hook['id'],
                'multisite-webhooks-health',
                'multisite-webhooks-events',
            ] as $page
        ) {
            [$status, $html] = self::http('http://localhost/wp-admin/network/admin.php?page=' . $page, $jar);
            $this->assertSame(200, $status, $page);
            $pages[$page] = $html;
        }
        [, $pages['delivery']] = self::http('http://localhost/wp-admin/network/admin.php?page=multisite-webhooks-log&delivery=' . $delivery, $jar);
        $this->assertStringContainsString('webhook-signature', $pages['delivery'], 'the attempt shows its request headers');

        $rest = self::wp('wp_set_current_user(1);
            $routes = ["/multisite-webhooks/v1/webhooks", "/multisite-webhooks/v1/webhooks/' . $hook['id'] . '",
                "/multisite-webhooks/v1/deliveries", "/multisite-webhooks/v1/deliveries/' . $delivery . '"];
            foreach ($routes as $r) {
                echo wp_json_encode(rest_do_request(new WP_REST_Request("GET", $r))->get_data()), "\n";
            }');
        $cli = '';
        foreach ([['webhook list', '{"format":"json"}'], ['webhook get', '{"format":"json"}'], ['webhook delivery list', '{"format":"json"}']] as [$command, $assoc]) {
            $cmd = [HOOKS_TEST_ROOT . '/tools/wp/wp-php.sh', '--url=http://localhost/', __DIR__ . '/fixtures/cli/run.php', $command,
                $command === 'webhook get' ? json_encode([(string) $hook['id']]) : '[]', $assoc];
            $proc = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
            $out = (string) stream_get_contents($pipes[1]) . (string) stream_get_contents($pipes[2]);
            fclose($pipes[1]);
            fclose($pipes[2]);
            $this->assertSame(0, proc_close($proc), "`wp $command`: $out");
            $this->assertStringContainsString('Secretive', $command === 'webhook delivery list' ? 'Secretive' : $out);
            $cli .= $out;
        }
        $logs = '';
        foreach (glob(self::$env['MWH_LOGS'] . '/*.log') ?: [] as $file) {
            $logs .= (string) file_get_contents($file);
        }
        $results = '';
        foreach (glob(self::$env['MWH_SPOOL_DIR'] . '/results/*') ?: [] as $file) {
            $results .= (string) file_get_contents($file);
        }
        foreach ($secrets as $secret) {
            foreach ($pages as $page => $html) {
                $this->assertStringNotContainsString($secret, $html, "admin page $page");
            }
            $this->assertStringNotContainsString($secret, $rest, 'REST responses');
            $this->assertStringNotContainsString($secret, $cli, 'WP-CLI lists');
            $this->assertStringNotContainsString($secret, $logs, 'the web server, PHP and WordPress logs');
            $this->assertStringNotContainsString($secret, $results, 'the engine\'s results journal');
        }
    }

    public function testTheSpoolIsPrivateAndOutsideTheWebRoot(): void
    {
        $this->createWebhook('Spool', '/spool', ['test_ping']);
        file_get_contents('http://localhost/?mwh_e2e_emit=3');
        $this->waitForPosts('/spool', 1);
        $spool = (string) realpath(self::$env['MWH_SPOOL_DIR']);
        foreach ([self::$env['WP_PATH'], self::$env['WP_CONTENT_DIR']] as $root) {
            $this->assertStringStartsNotWith((string) realpath($root) . '/', $spool . '/', "the spool is not under $root");
        }
        $files = new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator($spool, \FilesystemIterator::SKIP_DOTS), \RecursiveIteratorIterator::SELF_FIRST);
        $n = 0;
        foreach ($files as $f) {
            $mode = fileperms((string) $f) & 0777;
            $this->assertSame(0, $mode & 0077, sprintf('%s is %o: nobody but its owner may read it', $f, $mode));
            $this->assertSame('www-data', posix_getpwuid(fileowner((string) $f))['name'] ?? '', "$f belongs to the web server's PHP user");
            $n++;
        }
        $this->assertGreaterThan(3, $n, 'the spool has files to check');
    }
}
