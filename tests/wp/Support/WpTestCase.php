<?php
/**
 * Base of the end-to-end tests: a real WordPress multisite (tools/wp/up.sh) with the plugin
 * network-activated, a real receiver, and PHP run inside WordPress through tools/wp/wp-php.sh.
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Tests\Wp;

use MultisiteWebhooks\Tests\Support\Receiver;
use PHPUnit\Framework\TestCase;

abstract class WpTestCase extends TestCase
{
    /** @var array<string, string> Facts written by tools/wp/up.sh. */
    protected static array $env = [];

    protected Receiver $receiver;

    public static function setUpBeforeClass(): void
    {
        $state = getenv('MWH_STATE') ?: '/var/lib/mwh-dev';
        $json = @file_get_contents($state . '/env.json');
        if ($json === false) {
            throw new \RuntimeException("tests/wp: no $state/env.json: bring the network up with tools/wp/up.sh");
        }
        self::$env = json_decode($json, true, 512, JSON_THROW_ON_ERROR);
        // Test-only must-use plugin (never shipped) and Ultimate Multisite's catalog beside it.
        $mu = self::$env['WP_CONTENT_DIR'] . '/mu-plugins';
        if (!is_dir($mu)) {
            mkdir($mu, 0755, true);
        }
        copy(__DIR__ . '/../fixtures/mwh-e2e-fixtures.php', $mu . '/mwh-e2e-fixtures.php');
        copy(self::umCatalogPath(), $mu . '/mwh-e2e-um-catalog.json');
        self::reloadFpm();
        // Attempts logged before this class (another suite, the benchmark) are imported now,
        // so that a test waiting for its own attempt does not wait behind them.
        self::wp('$i = MultisiteWebhooks\Plugin::instance()->importer(); $end = microtime(true) + 300;
            while ($i->run(5.0) > 0 && microtime(true) < $end) {}');
    }

    /**
     * Restarts the PHP-FPM workers, so that whichever process delivers runs with the engine
     * settings of the fixtures (a leader started before them keeps the settings it had).
     */
    protected static function reloadFpm(): void
    {
        $pid = (int) @file_get_contents(self::$env['MWH_STATE'] . '/run/php-fpm.pid');
        if ($pid <= 0 || !posix_kill($pid, SIGUSR2)) {
            throw new \RuntimeException('tests/wp: cannot reload PHP-FPM (no master pid)');
        }
        $end = microtime(true) + 20;
        do {
            usleep(200_000);
            $ctx = stream_context_create(['http' => ['timeout' => 5, 'ignore_errors' => true]]);
            $ok = @file_get_contents('http://localhost/', false, $ctx) !== false && str_contains($http_response_header[0] ?? '', ' 200');
        } while (!$ok && microtime(true) < $end);
    }

    public static function tearDownAfterClass(): void
    {
        // Leave the network as the demo knows it: without the test-only fixtures.
        $mu = self::$env['WP_CONTENT_DIR'] . '/mu-plugins';
        @unlink($mu . '/mwh-e2e-fixtures.php');
        @unlink($mu . '/mwh-e2e-um-catalog.json');
        self::reloadFpm();
    }

    /** Ultimate Multisite's event catalog: every event type with an example payload. */
    protected static function umCatalogPath(): string
    {
        return __DIR__ . '/../fixtures/ultimate-multisite-events.json';
    }

    protected function setUp(): void
    {
        self::wp('foreach (MultisiteWebhooks\Plugin::instance()->webhooks()->list() as $h) { MultisiteWebhooks\Plugin::instance()->webhooks()->delete($h["id"]); }');
        $this->receiver = new Receiver();
    }

    protected function tearDown(): void
    {
        $this->receiver->stop();
    }

    /**
     * Asserts `$id` is a message id (the `webhook-id` receivers will see) whose event waits
     * in the database outbox.
     */
    protected function assertInOutbox(string $id, string $message = ''): void
    {
        $this->assertMatchesRegularExpression('/^msg_[0-9A-HJKMNP-TV-Z]{26}$/', $id, $message);
        $this->assertSame('1', trim(self::wp('echo (int) MultisiteWebhooks\Plugin::instance()->outbox()->has(' . var_export($id, true) . ');')), $message . ': in the outbox');
    }

    /**
     * Runs PHP code inside WordPress (as the site at `$url`) and returns what it printed.
     */
    protected static function wp(string $code, string $url = 'http://localhost/', array $ini = []): string
    {
        $cmd = [HOOKS_TEST_ROOT . '/tools/wp/wp-php.sh', '--url=' . $url];
        foreach ($ini as $i) {
            array_push($cmd, '-d', $i);
        }
        array_push($cmd, '-r', $code);
        $proc = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $out = stream_get_contents($pipes[1]);
        $err = stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        $status = proc_close($proc);
        if ($status !== 0) {
            throw new \RuntimeException("wp-php.sh exited $status\ncode: $code\nstdout: $out\nstderr: $err");
        }
        return (string) $out;
    }

    /**
     * Runs PHP code whose last output line is JSON, and decodes it.
     *
     * @return mixed
     */
    protected static function wpJson(string $code, string $url = 'http://localhost/', array $ini = [])
    {
        $out = trim(self::wp($code, $url, $ini));
        $lines = explode("\n", $out);
        try {
            return json_decode((string) end($lines), true, 512, JSON_THROW_ON_ERROR);
        } catch (\JsonException $e) {
            throw new \RuntimeException("not JSON from: $code\noutput: $out", 0, $e);
        }
    }

    /**
     * Creates a webhook to `$path` on this test's receiver; the receiver learns its secret.
     *
     * @param string[] $events
     * @return array{id:int, secret:string}
     */
    protected function createWebhook(string $name, string $path, array $events, bool $active = true, string $format = 'flat'): array
    {
        $fields = var_export(['name' => $name, 'webhook_url' => $this->receiver->url($path), 'events' => $events, 'active' => $active, 'payload_format' => $format], true);
        $r = self::wpJson('$p = MultisiteWebhooks\Plugin::instance();
            $f = $p->webhooks()->validate(' . $fields . ', false, [$p->catalog(), "has"]);
            if (is_wp_error($f)) { fwrite(STDERR, implode("; ", $f->get_error_messages())); exit(1); }
            echo json_encode($p->webhooks()->create($f));');
        $this->receiver->addSecret($r['secret']);
        return $r;
    }

    /**
     * POSTs recorded on `$path`.
     *
     * @return list<array<string, mixed>>
     */
    protected function posts(string $path): array
    {
        return array_values(array_filter($this->receiver->requests(), static fn (array $r): bool => $r['method'] === 'POST' && $r['path'] === $path));
    }

    /**
     * Waits until at least `$n` POSTs arrived on `$path`.
     *
     * @return list<array<string, mixed>>
     */
    protected function waitForPosts(string $path, int $n, float $timeout = 20.0): array
    {
        $end = microtime(true) + $timeout;
        do {
            $got = $this->posts($path);
            if (count($got) >= $n) {
                return $got;
            }
            usleep(50_000);
        } while (microtime(true) < $end);
        $this->fail(sprintf('waited %.0f s for %d request(s) on %s, got %d: %s', $timeout, $n, $path, count($got), json_encode($this->receiver->requests())));
    }

    /**
     * Asserts a received request is a signed delivery of `$event` that an independent
     * Standard Webhooks verifier accepts.
     *
     * @param array<string, mixed> $r
     */
    protected function assertSignedDelivery(array $r, string $event): void
    {
        $this->assertSame('application/json', $r['headers']['content-type'] ?? null);
        $this->assertSame($event, $r['headers']['x-webhook-event'] ?? null);
        $this->assertMatchesRegularExpression('/^msg_[0-9A-Z]{26}$/', $r['headers']['webhook-id'] ?? '');
        $this->assertTrue($r['signature_valid'], 'the standardwebhooks verifier accepts the signature');
    }

    /** Logs the super admin in over HTTP; returns the cookie jar path. */
    protected static function login(string $url = 'http://localhost/'): string
    {
        $jar = tempnam(sys_get_temp_dir(), 'mwh-jar-');
        exec(escapeshellarg(HOOKS_TEST_ROOT . '/tools/wp/login.sh') . ' ' . escapeshellarg($jar) . ' --url=' . escapeshellarg($url) . ' 2>&1', $out, $status);
        if ($status !== 0) {
            throw new \RuntimeException('login failed: ' . implode("\n", $out));
        }
        return $jar;
    }

    /**
     * An HTTP request with curl's cookie jar; returns [status, body].
     *
     * @param array<string, string>|null $post
     * @return array{0:int,1:string}
     */
    protected static function http(string $url, string $jar, ?array $post = null): array
    {
        $ch = curl_init($url);
        curl_setopt_array($ch, [CURLOPT_RETURNTRANSFER => true, CURLOPT_COOKIEFILE => $jar, CURLOPT_COOKIEJAR => $jar, CURLOPT_TIMEOUT => 60, CURLOPT_FOLLOWLOCATION => false]);
        if ($post !== null) {
            curl_setopt($ch, CURLOPT_POST, true);
            curl_setopt($ch, CURLOPT_POSTFIELDS, http_build_query($post));
        }
        $body = (string) curl_exec($ch);
        $status = (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        curl_close($ch);
        return [$status, $body];
    }

    /** The value of a hidden input in an HTML page. */
    protected static function hiddenInput(string $html, string $name): string
    {
        if (
            !preg_match('/name="' . preg_quote($name, '/') . '"\s+value="([^"]*)"/', $html, $m)
            && !preg_match('/value="([^"]*)"\s+name="' . preg_quote($name, '/') . '"/', $html, $m)
        ) {
            throw new \RuntimeException("no hidden input $name in the page");
        }
        return html_entity_decode($m[1]);
    }

    /**
     * Runs `wp <command>` through the stand-in.
     *
     * @param list<string|int>     $args
     * @param array<string, mixed> $assoc
     * @param list<string>         $ini
     * @return array{status:int, out:string, err:string}
     */
    protected static function cli(string $command, array $args = [], array $assoc = [], ?string $stdin = null, array $ini = []): array
    {
        $cmd = [HOOKS_TEST_ROOT . '/tools/wp/wp-php.sh', '--url=http://localhost/'];
        foreach ($ini as $i) {
            array_push($cmd, '-d', $i);
        }
        array_push($cmd, dirname(__DIR__) . '/fixtures/cli/run.php', $command, json_encode(array_map('strval', $args)), json_encode((object) $assoc));
        $proc = proc_open($cmd, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        fwrite($pipes[0], (string) $stdin);
        fclose($pipes[0]);
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        $status = proc_close($proc);
        if ($status === 2) {
            throw new \RuntimeException("run.php could not run `$command`: $err");
        }
        return ['status' => $status, 'out' => $out, 'err' => $err];
    }

    /**
     * A new application password of `$login`, for rest().
     *
     * @return array{user:string, password:string, id:int, uuid:string}
     */
    protected static function applicationPassword(string $login): array
    {
        $r = self::wpJson('$u = get_user_by("login", ' . var_export($login, true) . ');
            [$password, $item] = WP_Application_Passwords::create_new_application_password($u->ID, ["name" => "rest-test-" . uniqid()]);
            echo json_encode(["password" => $password, "id" => $u->ID, "uuid" => $item["uuid"]]);');
        return ['user' => $login] + $r;
    }

    /**
     * One request to the plugin's REST API (multisite-webhooks/v1) with application-password
     * credentials (null: anonymous).
     *
     * @param array<string, mixed>|null         $json
     * @param array{user:string, password:string}|null $cred
     * @param string $base The network's URL as a pool serves it (default: the pool with FFI).
     * @return array{status:int, headers:array<string, string>, raw:string, body:mixed}
     */
    protected static function rest(string $method, string $path, ?array $json, ?array $cred, string $base = 'http://localhost/'): array
    {
        $ch = curl_init($base . 'wp-json/multisite-webhooks/v1' . $path);
        $headers = [];
        curl_setopt_array($ch, [
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_TIMEOUT => 60,
            CURLOPT_HEADERFUNCTION => static function ($ch, string $line) use (&$headers): int {
                if (strpos($line, ':') !== false) {
                    [$k, $v] = explode(':', $line, 2);
                    $headers[strtolower(trim($k))] = trim($v);
                }
                return strlen($line);
            },
        ]);
        if ($cred !== null) {
            curl_setopt($ch, CURLOPT_USERPWD, $cred['user'] . ':' . $cred['password']);
        }
        if ($json !== null) {
            curl_setopt($ch, CURLOPT_POSTFIELDS, json_encode($json));
            curl_setopt($ch, CURLOPT_HTTPHEADER, ['Content-Type: application/json']);
        }
        $raw = (string) curl_exec($ch);
        $status = (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        curl_close($ch);
        return ['status' => $status, 'headers' => $headers, 'raw' => $raw, 'body' => json_decode($raw, true)];
    }

    /** Imports finished attempts into the delivery log (as the cron tick does). */
    protected static function importResults(): void
    {
        self::wp('MultisiteWebhooks\Plugin::instance()->importer()->run(5.0);');
    }
}
