<?php
/**
 * The engine after fork(): a child process gets a fresh engine of its own (threads are not
 * inherited), its events are delivered, and it can take over delivery from a parent that exits.
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Tests;

use MultisiteWebhooks\Tests\Support\EngineTestCase;
use MultisiteWebhooks\Tests\Support\PhpScript;

final class ForkTest extends EngineTestCase
{
    /**
     * @return array{0: string, 1: array<string, mixed>}
     */
    private function forkRun(string $mode, string $secret, string $url): array
    {
        $result = $this->tempDir('fork') . '/child.json';
        $run = PhpScript::run('fork_emit.php', [$this->spoolDir(), $url, $secret, $mode, $result]);
        $this->assertSame(0, $run['exit'], $run['stderr']);
        $deadline = microtime(true) + 15;
        while (!is_file($result) && microtime(true) < $deadline) {
            usleep(20_000);
        }
        $this->assertFileExists($result, 'the child finished');
        usleep(50_000);
        return [trim($run['stdout']), json_decode((string) file_get_contents($result), true, 512, JSON_THROW_ON_ERROR)];
    }

    public function testAForkedChildGetsItsOwnEngineAndItsEventsAreDelivered(): void
    {
        $secret = self::newSecret();
        $receiver = $this->receiver([$secret]);
        [$parentId, $child] = $this->forkRun('stay', $secret, $receiver->url('/hook'));
        $this->assertSame($child['pid'], $child['stats_pid'], "the child's engine knows it runs in the child");
        $this->assertTrue($child['flushed']);
        $want = array_merge([$parentId], $child['ids']);
        sort($want);
        $seen = $receiver->distinctIds();
        sort($seen);
        $this->assertSame($want, $seen, 'the events of parent and child were all delivered');
        $this->assertCount(4, $receiver->requests(), 'each once');
    }

    public function testAChildTakesOverDeliveryWhenTheParentLeaderExits(): void
    {
        $secret = self::newSecret();
        $receiver = $this->receiver([$secret]);
        [, $child] = $this->forkRun('exit', $secret, $receiver->url('/hook'));
        $this->assertTrue($child['flushed'], 'the child could flush: it became the leader');
        $this->assertTrue($child['is_leader'], 'the inherited lock descriptor did not keep the child out');
        foreach ($child['ids'] as $id) {
            $this->assertContains($id, $receiver->distinctIds());
        }
    }
}
