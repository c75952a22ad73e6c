<?php
/**
 * The plugin's loader decides how (or whether) a PHP process reaches the engine, and says
 * in one sentence what is wrong and what to set. Each case runs in a PHP process of its own
 * with the php.ini settings of that case.
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Tests;

use MultisiteWebhooks\Tests\Support\TempDir;
use PHPUnit\Framework\TestCase;

final class LoaderTest extends TestCase
{
    /**
     * @param string[] $ini
     * @return array{mode:string, reason:string, fix:string, version:?string}
     */
    private static function probe(string $pluginDir, string $version, array $ini = []): array
    {
        $cmd = [PHP_BINARY];
        foreach ($ini as $i) {
            array_push($cmd, '-d', $i);
        }
        array_push($cmd, HOOKS_TEST_ROOT . '/tests/php/fixtures/loader_probe.php', $pluginDir, $version);
        $p = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $out = stream_get_contents($pipes[1]);
        $err = stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        self::assertSame(0, proc_close($p), "loader_probe: $err");
        return json_decode((string) $out, true, 512, JSON_THROW_ON_ERROR);
    }

    /** A plugin folder holding the library and header in lib/, as `make plugin` lays it out. */
    private static function packaged(): string
    {
        $dir = TempDir::create('plugin');
        mkdir($dir . '/lib');
        copy(HOOKS_TEST_LIB, $dir . '/lib/libmultisite_webhooks.so');
        copy(HOOKS_TEST_HEADER, $dir . '/lib/multisite_webhooks.h');
        return $dir;
    }

    public function testThePackagedLibraryLoadsThroughFfiCdef(): void
    {
        $dir = self::packaged();
        $r = self::probe($dir, '0.1.0');
        TempDir::remove($dir);
        $this->assertSame(['ffi', '', '', '0.1.0'], [$r['mode'], $r['reason'], $r['fix'], $r['version']]);
    }

    public function testAMissingLibraryDegradesAndSaysWhereItLooked(): void
    {
        $dir = TempDir::create('plugin');
        $r = self::probe($dir . '/multisite-webhooks', '0.1.0');
        TempDir::remove($dir);
        $this->assertSame('degraded', $r['mode']);
        $this->assertStringContainsString('The engine library was not found (looked for ' . $dir . '/multisite-webhooks/lib/libmultisite_webhooks.so', $r['reason']);
        $this->assertStringContainsString('make plugin', $r['fix']);
        $this->assertNull($r['version']);
    }

    public function testFfiDisabledDegradesAndSaysWhatToSet(): void
    {
        $dir = self::packaged();
        $r = self::probe($dir, '0.1.0', ['ffi.enable=0']);
        TempDir::remove($dir);
        $this->assertSame('degraded', $r['mode']);
        $this->assertSame('ffi.enable is "0" for this cli process, so it may not load the engine.', $r['reason']);
        $this->assertStringContainsString('ffi.enable', $r['fix']);
    }

    public function testALibraryOfAnotherVersionIsNotUsed(): void
    {
        $dir = self::packaged();
        $r = self::probe($dir, '9.9.9');
        TempDir::remove($dir);
        $this->assertSame('degraded', $r['mode']);
        $this->assertSame('The engine library is version 0.1.0, this plugin needs 9.9.9.', $r['reason']);
        $this->assertNull($r['version']);
    }
}
