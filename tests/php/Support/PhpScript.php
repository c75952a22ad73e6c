<?php
/**
 * Runs a PHP CLI script in a child process.
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Tests\Support;

final class PhpScript
{
    /**
     * Runs tests/php/fixtures/$name with $args and waits for it (at most $timeoutS seconds,
     * then it is killed and an exception thrown).
     *
     * @param string[] $args
     *
     * @return array{exit: int, stdout: string, stderr: string}
     */
    public static function run(string $name, array $args = [], float $timeoutS = 30.0): array
    {
        $script = HOOKS_TEST_ROOT . '/tests/php/fixtures/' . $name;
        $out = TempDir::create('child');
        try {
            $cmd = array_merge([PHP_BINARY, $script], $args);
            $env = getenv();
            $env['HOOKS_LIB'] = HOOKS_TEST_LIB;
            $proc = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['file', "$out/stdout", 'w'], 2 => ['file', "$out/stderr", 'w']], $pipes, null, $env);
            if (!is_resource($proc)) {
                throw new \RuntimeException("proc_open failed for $name");
            }
            $deadline = microtime(true) + $timeoutS;
            $status = proc_get_status($proc);
            while ($status['running']) {
                if (microtime(true) > $deadline) {
                    proc_terminate($proc, 9);
                    proc_close($proc);
                    throw new \RuntimeException("$name did not finish in $timeoutS s");
                }
                usleep(5000);
                $status = proc_get_status($proc);
            }
            proc_close($proc);
            return [
                'exit'   => $status['exitcode'],
                'stdout' => (string) file_get_contents("$out/stdout"),
                'stderr' => (string) file_get_contents("$out/stderr"),
            ];
        } finally {
            TempDir::remove($out);
        }
    }
}
