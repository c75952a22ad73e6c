<?php

declare(strict_types=1);

namespace MultisiteWebhooks\Tests;

use MultisiteWebhooks\Tests\Support\EngineTestCase;
use MultisiteWebhooks\Tests\Support\PhpScript;

/**
 * Events accepted by a PHP process that exits are not lost: they are in the spool, and the
 * next process on that spool delivers them. A process that flushes before exit has delivered.
 */
final class DurabilityTest extends EngineTestCase
{
    public function testEventsOfAProcessThatExitsWithoutFlushingAreDeliveredByTheNext(): void
    {
        $secret = self::newSecret();
        $receiver = $this->receiver([$secret]);
        $spool = $this->spoolDir();

        // Each answer takes 500 ms and at most 8 are in flight to one endpoint, so the first
        // process cannot have sent every event when it exits.
        $first = PhpScript::run('emit_events.php', [$spool, $receiver->url('/sleep/500'), $secret, '20', '0']);
        $this->assertSame(0, $first['exit'], $first['stderr']);
        $ids = json_decode($first['stdout'], true, 512, JSON_THROW_ON_ERROR);
        $this->assertCount(20, array_unique($ids));
        $this->assertLessThan(20, count($receiver->distinctIds()), 'the first process left deliveries for the next one');

        $second = PhpScript::run('flush_spool.php', [$spool, '10000']);
        $this->assertSame(0, $second['exit'], $second['stderr']);
        $stats = json_decode($second['stdout'], true, 512, JSON_THROW_ON_ERROR);
        $this->assertSame(0, $stats['queue_depth']);

        // At-least-once: an attempt cut off by the first exit is sent again; count distinct ids.
        $seen = $receiver->distinctIds();
        sort($seen);
        sort($ids);
        $this->assertSame($ids, $seen, 'exactly the 20 emitted events arrived; ' . self::queueFiles($spool));
        foreach ($receiver->requests() as $r) {
            $this->assertTrue($r['signature_valid'], $r['headers']['webhook-id'] ?? 'a request without an id');
        }
    }

    /** What is left in the spool's queue, for failure messages. */
    private static function queueFiles(string $spool): string
    {
        $files = [];
        foreach (glob($spool . '/queue/*') ?: [] as $f) {
            $files[] = basename($f) . ' (' . filesize($f) . ' bytes)';
        }
        return 'queue files: ' . ([] === $files ? 'none' : implode(', ', $files));
    }

    public function testAProcessThatFlushesBeforeExitHasDelivered(): void
    {
        $secret = self::newSecret();
        $receiver = $this->receiver([$secret]);
        $spool = $this->spoolDir();
        $run = PhpScript::run('emit_events.php', [$spool, $receiver->url('/hook'), $secret, '5', '10000']);
        $this->assertSame(0, $run['exit'], $run['stderr']);
        $ids = json_decode($run['stdout'], true, 512, JSON_THROW_ON_ERROR);

        // Checked right after the process is gone, before anything else runs on the spool.
        $seen = $receiver->distinctIds();
        sort($seen);
        sort($ids);
        $this->assertCount(5, $ids);
        $this->assertSame($ids, $seen, 'every emitted event arrived; ' . self::queueFiles($spool));
        $this->assertCount(5, $receiver->requests(), 'each delivered once');
    }
}
