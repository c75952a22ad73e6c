<?php

declare(strict_types=1);

namespace MultisiteWebhooks\Tests;

use MultisiteWebhooks\Engine\FfiEngine;
use MultisiteWebhooks\Tests\Support\EngineTestCase;

/**
 * Strings the library hands over are freed: 200,000 calls leave the process's resident
 * memory where it was. (Without hooks_string_free, stats() alone would leak over 100 MB and
 * takeResults() about 6 MB.)
 */
final class StringFreeTest extends EngineTestCase
{
    private const CALLS = 200000;
    /** Growth allowed for allocator and PHP noise. */
    private const ALLOWED_KB = 3 * 1024;

    private static function rssKb(): int
    {
        $status = (string) file_get_contents('/proc/self/status');
        if (1 !== preg_match('/^VmRSS:\s+(\d+) kB$/m', $status, $m)) {
            throw new \RuntimeException('no VmRSS in /proc/self/status');
        }
        return (int) $m[1];
    }

    /**
     * @param callable(FfiEngine): mixed $call
     */
    private function assertNoGrowth(string $what, callable $call): void
    {
        // The spool lives in memory when it can: takeResults() rewrites its cursor file on
        // every call, which costs ~250 µs on a journalled disk and ~20 µs on tmpfs.
        $base = is_dir('/dev/shm') && is_writable('/dev/shm') ? '/dev/shm' : null;
        $engine = $this->engine();
        $engine->init($this->settings(['spool_dir' => $this->tempDir('spool', $base) . '/spool']));
        // Warm up: let PHP, the allocator and the engine reach their steady state first.
        for ($i = 0; $i < 5000; $i++) {
            $call($engine);
        }
        gc_collect_cycles();
        $before = self::rssKb();
        for ($i = 0; $i < self::CALLS; $i++) {
            $call($engine);
        }
        gc_collect_cycles();
        $grown = self::rssKb() - $before;
        $this->assertLessThan(self::ALLOWED_KB, $grown, sprintf('%s × %d: resident memory grew by %d kB', $what, self::CALLS, $grown));
    }

    public function testStatsStringsAreFreed(): void
    {
        $this->assertNoGrowth('stats()', static function (FfiEngine $e): void {
            $e->stats();
        });
    }

    public function testTakeResultsStringsAreFreed(): void
    {
        $this->assertNoGrowth('takeResults()', static function (FfiEngine $e): void {
            $e->takeResults(1);
        });
    }
}
