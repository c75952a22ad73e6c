<?php

declare(strict_types=1);

namespace MultisiteWebhooks\Tests\Wp;

/**
 * The spool's disk full or not writable: hooks_emit keeps the event in the database outbox and
 * says why, the network admin sees it, and once the disk is usable again everything is
 * delivered. The spool is moved to a 2 MB tmpfs for the test (root is needed to mount it).
 */
final class DiskTest extends WpTestCase
{
    private string $mount = '';

    protected function setUp(): void
    {
        parent::setUp();
        $this->mount = sys_get_temp_dir() . '/mwh-e2e-tmpfs-' . getmypid();
        @mkdir($this->mount, 0700);
        exec('mount -t tmpfs -o size=2m,mode=0700 mwh-e2e-tmpfs ' . escapeshellarg($this->mount) . ' 2>&1', $out, $status);
        $this->assertSame(0, $status, 'mount a tmpfs (needs root): ' . implode("\n", $out));
        chown($this->mount, 'www-data');
        self::wp('update_site_option("mwh_e2e_spool_dir", ' . var_export($this->mount . '/spool', true) . '); delete_site_option(MultisiteWebhooks\Options::LAST_ERROR);');
        self::reloadFpm();
    }

    protected function tearDown(): void
    {
        self::wp('delete_site_option("mwh_e2e_spool_dir"); delete_site_option(MultisiteWebhooks\Options::LAST_ERROR);
            $p = MultisiteWebhooks\Plugin::instance(); $p->outbox()->drain($p->engine(), [$p->emitter(), "refuseFromOutbox"]);');
        self::reloadFpm();
        exec('umount ' . escapeshellarg($this->mount));
        @rmdir($this->mount);
        parent::tearDown();
    }

    /** Emits test_ping with `$n` from a PHP-FPM worker; returns the id it answered. */
    private static function emit(int $n): string
    {
        $body = (string) file_get_contents('http://localhost/?mwh_e2e_emit=' . $n);
        $r = json_decode($body, true);
        if (!is_array($r) || empty($r['id'])) {
            throw new \RuntimeException("emit $n answered: $body");
        }
        return (string) $r['id'];
    }

    /** @return list<int> The payload numbers received on /disk. */
    private function receivedNumbers(): array
    {
        return array_map(static fn (array $r): int => (int) json_decode($r['body'], true)['n'], $this->posts('/disk'));
    }

    public function testAFullOrUnwritableSpoolKeepsEventsInTheOutboxUntilTheDiskIsBack(): void
    {
        $hook = $this->createWebhook('Disk', '/disk', ['test_ping']);
        $this->assertMatchesRegularExpression('/^msg_/', self::emit(1), 'the spool on the tmpfs works');
        $this->waitForPosts('/disk', 1);

        // Fill the tmpfs to the last byte.
        $fill = fopen($this->mount . '/fill', 'w');
        $chunk = str_repeat("\0", 65536);
        while (@fwrite($fill, $chunk) === 65536) {
        }
        fclose($fill);
        $stat = disk_free_space($this->mount);
        $this->assertLessThan(65536, $stat, 'the disk is full');

        $ids = [self::emit(2), self::emit(3)];
        foreach ($ids as $id) {
            $this->assertInOutbox($id, 'a full disk sends the event to the database outbox');
        }
        $this->assertSame(2, (int) self::wp('echo MultisiteWebhooks\Plugin::instance()->outbox()->count();'));
        $error = json_decode(self::wp('echo json_encode(get_site_option(MultisiteWebhooks\Options::LAST_ERROR));'), true);
        $this->assertMatchesRegularExpression('/space|full|ENOSPC|No space/i', (string) $error['message'], 'the reason is kept');

        // The network admin is told.
        $jar = self::login();
        [$status, $html] = self::http('http://localhost/wp-admin/network/', $jar);
        $this->assertSame(200, $status);
        // Whether this admin page's own PHP worker could start its engine decides which notice
        // says that events are waiting; either way the reason is on the page.
        $this->assertMatchesRegularExpression('/2 events wait in the outbox for the engine\.|Events wait in the database until/', $html);
        $this->assertStringContainsString('Multisite Webhooks met a problem:', $html);
        $this->assertStringContainsString('No space left on device', $html);

        // Unwritable instead of full: the same for processes that start now (one that already
        // has its segment open keeps appending to it, which is fine).
        unlink($this->mount . '/fill');
        chmod($this->mount . '/spool', 0500);
        self::reloadFpm();
        $unwritable = self::emit(4);
        chmod($this->mount . '/spool', 0700);
        $this->assertInOutbox($unwritable, 'an unwritable spool sends the event to the outbox');

        // Space is back: the next cron tick moves the outbox to the engine, which delivers all.
        self::wp('MultisiteWebhooks\Cron::tick(MultisiteWebhooks\Plugin::instance(), 20.0);');
        $this->waitForPosts('/disk', 4);
        $numbers = $this->receivedNumbers();
        sort($numbers);
        $this->assertSame([1, 2, 3, 4], $numbers, 'nothing lost, nothing doubled');
        foreach ($this->posts('/disk') as $r) {
            $this->assertSignedDelivery($r, 'test_ping');
        }
        $this->assertSame(0, (int) self::wp('echo MultisiteWebhooks\Plugin::instance()->outbox()->count();'));
        $this->assertGreaterThan(0, $hook['id']);
    }
}
