<?php

declare(strict_types=1);

namespace MultisiteWebhooks\Tests;

use MultisiteWebhooks\Tests\Support\EngineTestCase;

/**
 * The generated header loads in PHP's FFI as it is, and every function it declares works.
 */
final class HeaderTest extends EngineTestCase
{
    /** Every function the C API offers; a new export must be added here (and tested). */
    private const FUNCTIONS = [
        'hooks_version', 'hooks_init', 'hooks_configure', 'hooks_configured_version', 'hooks_emit', 'hooks_emit_as',
        'hooks_send_test', 'hooks_check_url', 'hooks_flush', 'hooks_stats', 'hooks_take_results', 'hooks_redeliver',
        'hooks_ack_results', 'hooks_last_error', 'hooks_last_error_kind', 'hooks_status_name', 'hooks_string_free',
        'hooks_shutdown',
    ];

    public function testTheHeaderParsesUnchangedInFfiCdef(): void
    {
        $header = (string) file_get_contents(HOOKS_TEST_HEADER);
        $ffi = \FFI::cdef($header, HOOKS_TEST_LIB);
        $this->assertInstanceOf(\FFI::class, $ffi);

        preg_match_all('/^[A-Za-z_][\w \*]*?\b(hooks_\w+)\s*\(/m', $header, $m);
        $declared = $m[1];
        sort($declared);
        $expected = self::FUNCTIONS;
        sort($expected);
        $this->assertSame($expected, $declared, 'the functions the header declares');
    }

    public function testEveryDeclaredFunctionIsCallable(): void
    {
        $ffi = self::rawFfi();
        $settings = json_encode($this->settings(), JSON_UNESCAPED_SLASHES);
        $this->assertSame(0, $ffi->hooks_init($settings, strlen($settings)), (string) $ffi->hooks_last_error());
        $this->assertSame('', $ffi->hooks_last_error(), 'empty after a success');

        $snapshot = json_encode(self::snapshot('http://127.0.0.1:9/hook', null, ['site_created'], 7));
        $out = $ffi->new('char *');
        $len = $ffi->new('size_t');
        $this->assertSame(0, $ffi->hooks_configure($snapshot, strlen($snapshot), \FFI::addr($out), \FFI::addr($len)));
        $this->assertTrue(json_decode(\FFI::string($out, $len->cdata), true)['applied']);
        $ffi->hooks_string_free($out);
        $this->assertSame('', $ffi->hooks_last_error_kind(), 'empty after a success');

        $version = $ffi->new('uint64_t');
        $this->assertSame(0, $ffi->hooks_configured_version(\FFI::addr($version)));
        $this->assertSame(7, $version->cdata);

        $out = $ffi->new('char *');
        $len = $ffi->new('size_t');
        $this->assertSame(0, $ffi->hooks_emit('user_registered', 15, '{"user_id":1}', 13, \FFI::addr($out), \FFI::addr($len)));
        $this->assertSame(30, $len->cdata);
        $this->assertStringStartsWith('msg_', \FFI::string($out, $len->cdata));
        $ffi->hooks_string_free($out);
        // Both id out-pointers NULL: accepted, no id.
        $this->assertSame(0, $ffi->hooks_emit('user_registered', 15, '{}', 2, null, null));

        $test = json_encode(['endpoint' => ['id' => 1, 'url' => 'http://127.0.0.1:' . self::closedPort() . '/', 'events' => ['x']],
            'event' => 'x', 'payload' => new \stdClass()]);
        $out = $ffi->new('char *');
        $this->assertSame(0, $ffi->hooks_send_test($test, strlen($test), \FFI::addr($out), \FFI::addr($len)));
        $this->assertFalse(json_decode(\FFI::string($out, $len->cdata), true)['ok']);
        $ffi->hooks_string_free($out);

        $url = 'http://169.254.169.254/';
        $out = $ffi->new('char *');
        $this->assertSame(0, $ffi->hooks_check_url($url, strlen($url), \FFI::addr($out), \FFI::addr($len)));
        $this->assertFalse(json_decode(\FFI::string($out, $len->cdata), true)['ok']);
        $ffi->hooks_string_free($out);

        $this->assertSame(0, $ffi->hooks_flush(5000));

        $out = $ffi->new('char *');
        $this->assertSame(0, $ffi->hooks_stats(\FFI::addr($out), \FFI::addr($len)));
        $this->assertSame(7, json_decode(\FFI::string($out, $len->cdata), true)['snapshot_version']);
        $ffi->hooks_string_free($out);

        $out = $ffi->new('char *');
        $this->assertSame(0, $ffi->hooks_take_results(10, 0, \FFI::addr($out), \FFI::addr($len)));
        $taken = json_decode(\FFI::string($out, $len->cdata), true);
        $this->assertIsString($taken['ack']);
        $ffi->hooks_string_free($out);
        $this->assertSame(0, $ffi->hooks_ack_results($taken['ack'], strlen($taken['ack'])));
        $this->assertSame(3, $ffi->hooks_ack_results('not a token', 11));
        $this->assertSame('invalid_json', $ffi->hooks_last_error_kind());

        $redeliver = '{"event_id":"msg_x","endpoint_id":1,"event":"site_created","payload":{}}';
        $this->assertSame(0, $ffi->hooks_redeliver($redeliver, strlen($redeliver)));

        $ffi->hooks_string_free(null);
        $this->assertSame(0, $ffi->hooks_shutdown(0));
        $this->assertSame(7, $ffi->hooks_flush(0), 'stopped after shutdown');
    }

    public function testVersionMatchesCargoToml(): void
    {
        $toml = (string) file_get_contents(HOOKS_TEST_ROOT . '/Cargo.toml');
        $this->assertSame(1, preg_match('/^\[package\][^\[]*?^version\s*=\s*"([^"]+)"/ms', $toml, $m), 'Cargo.toml has a package version');
        $this->assertSame($m[1], $this->engine()->version());
        $this->assertSame($m[1], self::rawFfi()->hooks_version());
    }
}
