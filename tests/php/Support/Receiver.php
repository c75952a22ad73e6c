<?php
/**
 * The local webhook receiver (tests/support/receiver.py), run as a child process.
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Tests\Support;

/**
 * Starts tests/support/receiver.py on 127.0.0.1 with an ephemeral port and reads what it
 * recorded. The interpreter is $HOOKS_PYTHON, or python3 on the PATH (it needs the
 * standardwebhooks package to verify signatures).
 */
final class Receiver
{
    /** @var resource */
    private $process;
    private int $port;
    private string $dir;
    private string $stderrFile;

    /**
     * @param string[] $secrets Secrets (whsec_…) the receiver verifies signatures with.
     */
    public function __construct(array $secrets = [])
    {
        $this->dir = TempDir::create('receiver');
        $portFile = $this->dir . '/port';
        $this->stderrFile = $this->dir . '/stderr';
        $python = getenv('HOOKS_PYTHON') ?: 'python3';
        $cmd = [$python, HOOKS_TEST_ROOT . '/tests/support/receiver.py', '--port', '0', '--port-file', $portFile];
        foreach ($secrets as $s) {
            $cmd[] = '--secret';
            $cmd[] = $s;
        }
        $proc = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', $this->stderrFile, 'w']], $pipes);
        if (!is_resource($proc)) {
            throw new \RuntimeException('receiver: proc_open failed');
        }
        $this->process = $proc;

        $deadline = microtime(true) + 15.0;
        while (true) {
            $text = is_file($portFile) ? trim((string) file_get_contents($portFile)) : '';
            if ('' !== $text) {
                $this->port = (int) $text;
                break;
            }
            if (!proc_get_status($this->process)['running']) {
                $err = (string) @file_get_contents($this->stderrFile);
                $this->stop();
                throw new \RuntimeException("receiver: exited before listening: $err");
            }
            if (microtime(true) > $deadline) {
                $this->stop();
                throw new \RuntimeException('receiver: no port file after 15 s');
            }
            usleep(10000);
        }
    }

    public function port(): int
    {
        return $this->port;
    }

    /** The URL of $path on this receiver, e.g. url('/hook'). */
    public function url(string $path = '/hook'): string
    {
        return 'http://127.0.0.1:' . $this->port . $path;
    }

    /**
     * Every request recorded so far, oldest first.
     *
     * @return list<array{time: float, method: string, path: string, headers: array<string, string>, body: string, signature_valid: bool|null}>
     */
    public function requests(): array
    {
        $json = $this->http('GET', '/_requests');
        return json_decode($json, true, 512, JSON_THROW_ON_ERROR);
    }

    /**
     * The distinct webhook-id values of the POSTs recorded so far.
     *
     * @return list<string>
     */
    public function distinctIds(): array
    {
        $ids = [];
        foreach ($this->requests() as $r) {
            if ('POST' === $r['method'] && isset($r['headers']['webhook-id'])) {
                $ids[$r['headers']['webhook-id']] = true;
            }
        }
        return array_keys($ids);
    }

    /** Makes the receiver also verify signatures with `$secret` (a webhook created later). */
    public function addSecret(string $secret): void
    {
        $ctx = stream_context_create(['http' => ['method' => 'POST', 'timeout' => 10, 'ignore_errors' => true,
            'header' => "Content-Type: application/json\r\n", 'content' => json_encode(['secret' => $secret])]]);
        $body = file_get_contents($this->url('/_secrets'), false, $ctx);
        if (false === $body || !str_contains($http_response_header[0] ?? '', ' 204')) {
            throw new \RuntimeException('receiver: POST /_secrets failed: ' . $body);
        }
    }

    /** Forgets every request recorded. */
    public function clear(): void
    {
        $this->http('DELETE', '/_requests');
    }

    /** Raw access to the control endpoints (GET /, GET|DELETE /_requests). */
    public function http(string $method, string $path): string
    {
        $ctx = stream_context_create(['http' => ['method' => $method, 'timeout' => 10, 'ignore_errors' => true]]);
        $body = file_get_contents($this->url($path), false, $ctx);
        if (false === $body) {
            throw new \RuntimeException("receiver: $method $path failed");
        }
        return $body;
    }

    /** Stops the process and removes its files. Safe to call twice. */
    public function stop(): void
    {
        if (is_resource($this->process ?? null)) {
            $status = proc_get_status($this->process);
            if ($status['running']) {
                proc_terminate($this->process, 15);
                $deadline = microtime(true) + 5.0;
                while (proc_get_status($this->process)['running'] && microtime(true) < $deadline) {
                    usleep(5000);
                }
                if (proc_get_status($this->process)['running']) {
                    proc_terminate($this->process, 9);
                }
            }
            proc_close($this->process);
        }
        TempDir::remove($this->dir);
    }

    public function __destruct()
    {
        $this->stop();
    }
}
