<?php
/**
 * Shared set-up for tests that load the real engine library through FFI.
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Tests\Support;

use MultisiteWebhooks\Engine\FfiEngine;
use PHPUnit\Framework\TestCase;

/**
 * Gives each test its own spool directory and receivers, and stops the process's engine,
 * the receivers and removes the directories afterwards. The engine is process-global: a
 * test that calls init() with its own spool restarts it.
 */
abstract class EngineTestCase extends TestCase
{
    private static ?\FFI $raw = null;

    /** @var string[] */
    private array $dirs = [];
    /** @var Receiver[] */
    private array $receivers = [];
    private ?string $spool = null;

    /** The library loaded with the generated header, unchanged, as the plugin loads it. */
    protected static function rawFfi(): \FFI
    {
        return self::$raw ??= \FFI::cdef((string) file_get_contents(HOOKS_TEST_HEADER), HOOKS_TEST_LIB);
    }

    protected function engine(): FfiEngine
    {
        return FfiEngine::fromHeader(HOOKS_TEST_HEADER, HOOKS_TEST_LIB);
    }

    /** A directory removed after the test, under $base (default sys_get_temp_dir()). */
    protected function tempDir(string $label = 'tmp', ?string $base = null): string
    {
        $dir = TempDir::create($label, $base);
        $this->dirs[] = $dir;
        return $dir;
    }

    /** This test's spool directory (created on first use; the engine creates the content). */
    protected function spoolDir(): string
    {
        return $this->spool ??= $this->tempDir('spool') . '/spool';
    }

    /**
     * Engine settings for this test: its own spool, 127.0.0.1 allowed through the SSRF guard.
     *
     * @param array<string, mixed> $extra
     *
     * @return array<string, mixed>
     */
    protected function settings(array $extra = []): array
    {
        return array_merge(['spool_dir' => $this->spoolDir(), 'ssrf_allow' => ['127.0.0.1'], 'poll_interval_ms' => 20], $extra);
    }

    /** A fresh secret in the Standard Webhooks format. */
    protected static function newSecret(): string
    {
        return 'whsec_' . base64_encode(random_bytes(32));
    }

    /**
     * A snapshot with one endpoint (id 1) at $url hearing $events.
     *
     * @param string[] $events
     *
     * @return array<string, mixed>
     */
    protected static function snapshot(string $url, ?string $secret, array $events = ['*'], int $version = 1): array
    {
        $endpoint = ['id' => 1, 'url' => $url, 'events' => $events];
        if (null !== $secret) {
            $endpoint['secrets'] = [$secret];
        }
        return ['version' => $version, 'endpoints' => [$endpoint]];
    }

    /** @param string[] $secrets */
    protected function receiver(array $secrets = []): Receiver
    {
        $r = new Receiver($secrets);
        $this->receivers[] = $r;
        return $r;
    }

    /** A port on 127.0.0.1 nothing listens on (bound, noted, closed). */
    protected static function closedPort(): int
    {
        $sock = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
        if (false === $sock) {
            throw new \RuntimeException("cannot bind: $errstr");
        }
        $name = (string) stream_socket_get_name($sock, false);
        fclose($sock);
        return (int) substr($name, strrpos($name, ':') + 1);
    }

    protected function tearDown(): void
    {
        // Stop this process's engine before its spool directory goes away (7 = was not running).
        self::rawFfi()->hooks_shutdown(0);
        foreach ($this->receivers as $r) {
            $r->stop();
        }
        $this->receivers = [];
        foreach ($this->dirs as $d) {
            TempDir::remove($d);
        }
        $this->dirs = [];
        $this->spool = null;
    }
}
