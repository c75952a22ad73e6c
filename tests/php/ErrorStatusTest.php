<?php

declare(strict_types=1);

namespace MultisiteWebhooks\Tests;

use MultisiteWebhooks\Engine\EngineException;
use MultisiteWebhooks\Engine\FfiEngine;
use MultisiteWebhooks\Tests\Support\EngineTestCase;
use MultisiteWebhooks\Tests\Support\PhpScript;

/**
 * Every status PHP can provoke arrives as an EngineException with that status as its code
 * and a message that names the problem.
 */
final class ErrorStatusTest extends EngineTestCase
{
    private function initialized(array $extra = []): FfiEngine
    {
        $engine = $this->engine();
        $engine->init($this->settings($extra));
        return $engine;
    }

    /**
     * Runs $call and returns the EngineException it throws (failing if it throws none).
     */
    private function thrown(callable $call): EngineException
    {
        try {
            $call();
        } catch (EngineException $e) {
            return $e;
        }
        $this->fail('expected an EngineException');
    }

    private function assertStatus(int $code, string $name, string $messagePattern, EngineException $e): void
    {
        $this->assertSame($code, $e->getCode(), "status of: {$e->getMessage()}");
        $this->assertSame($name, $e->statusName());
        $this->assertMatchesRegularExpression($messagePattern, $e->getMessage());
    }

    /**
     * EngineException's constants and names are the engine's statuses: the library names
     * each status (`hooks_status_name`), and PHP knows exactly those, under the same names.
     */
    public function testStatusNamesAreTheEnginesStatuses(): void
    {
        $ffi = self::rawFfi();
        $engine = [];
        foreach (range(-1, 256) as $code) {
            $name = $ffi->hooks_status_name($code);
            if ('unknown' !== $name && 0 !== $code) {
                $engine[strtoupper($name)] = $code;
            }
        }
        $this->assertSame('ok', $ffi->hooks_status_name(0));
        $this->assertCount(12, $engine, 'the engine names its statuses');
        $constants = (new \ReflectionClass(EngineException::class))->getConstants(\ReflectionClassConstant::IS_PUBLIC);
        $this->assertSame($engine, $constants);
        foreach ($constants as $name => $code) {
            $this->assertSame($name, EngineException::nameOf($code));
        }
        $this->assertSame('UNKNOWN_42', EngineException::nameOf(42));
        $this->assertStringContainsString('status 42', (new EngineException(42, ''))->getMessage());
    }

    public function testNullPointerIsStatus1(): void
    {
        $ffi = self::rawFfi();
        $this->initialized();
        $status = $ffi->hooks_emit(null, 0, '{}', 2, null, null);
        $e = new EngineException($status, (string) $ffi->hooks_last_error());
        $this->assertStatus(EngineException::NULL_ARGUMENT, 'NULL_ARGUMENT', '/^argument: event is NULL$/', $e);

        $this->assertSame(1, $ffi->hooks_init(null, 0));
        $this->assertSame('argument: settings is NULL', $ffi->hooks_last_error());
        $out = $ffi->new('char *');
        $outLen = $ffi->new('size_t');
        $this->assertSame(1, $ffi->hooks_configure(null, 0, \FFI::addr($out), \FFI::addr($outLen)));
        $this->assertSame('argument: snapshot is NULL', $ffi->hooks_last_error());
        $this->assertSame('null_argument', $ffi->hooks_last_error_kind());
        $this->assertSame(1, $ffi->hooks_redeliver(null, 5));
        $this->assertSame('argument: request is NULL', $ffi->hooks_last_error());
        $this->assertSame(1, $ffi->hooks_stats(null, null));
        $this->assertStringContainsString('stats_out', $ffi->hooks_last_error());
        $len = $ffi->new('size_t');
        $this->assertSame(1, $ffi->hooks_emit('x', 1, '{}', 2, null, \FFI::addr($len)), 'only one id out-pointer');
    }

    public function testInvalidUtf8PayloadIsStatus2(): void
    {
        $engine = $this->initialized();
        $e = $this->thrown(static fn () => $engine->emit('site_created', "{\"name\":\"caf\xE9\"}"));
        $this->assertStatus(EngineException::INVALID_UTF8, 'INVALID_UTF8', '/^utf-8: payload is not valid UTF-8 \(at byte 12\)$/', $e);

        // An array PHP cannot encode as UTF-8 JSON is refused the same way, before the engine.
        $e = $this->thrown(static fn () => $engine->emit('site_created', ['name' => "caf\xE9"]));
        $this->assertStatus(EngineException::INVALID_UTF8, 'INVALID_UTF8', '/^json: .*utf-8/i', $e);
        $this->assertSame('invalid_utf8', $e->kind());
    }

    public function testInvalidJsonPayloadIsStatus3(): void
    {
        $engine = $this->initialized();
        $e = $this->thrown(static fn () => $engine->emit('site_created', '{"site_id":'));
        $this->assertStatus(EngineException::INVALID_JSON, 'INVALID_JSON', '/^json: the payload is not valid JSON/', $e);
    }

    public function testPayloadThatIsNotAnObjectIsStatus3(): void
    {
        $engine = $this->initialized();
        foreach (['[1,2]', '"text"', '42', ''] as $payload) {
            $e = $this->thrown(static fn () => $engine->emit('site_created', $payload));
            $this->assertStatus(EngineException::INVALID_JSON, 'INVALID_JSON', '/must be a JSON object/', $e);
        }
        $e = $this->thrown(static fn () => $engine->emit('site_created', [1, 2]));
        $this->assertStatus(EngineException::INVALID_JSON, 'INVALID_JSON', '/must be a JSON object/', $e);
    }

    public function testPayloadOverTheLimitIsStatus4(): void
    {
        $engine = $this->initialized(['max_payload_bytes' => 64]);
        $payload = json_encode(['text' => str_repeat('a', 100)]);
        $e = $this->thrown(static fn () => $engine->emit('site_created', $payload));
        $this->assertStatus(EngineException::TOO_LARGE, 'TOO_LARGE', '/^too large: the payload is 111 bytes, the limit is 64 bytes$/', $e);
        // Exactly at the limit is fine.
        $this->assertStringStartsWith('msg_', $engine->emit('site_created', json_encode(['text' => str_repeat('a', 53)])));
    }

    public function testUnknownSettingsFieldIsStatus5(): void
    {
        $engine = $this->engine();
        $e = $this->thrown(fn () => $engine->init($this->settings(['colour' => 'blue'])));
        $this->assertStatus(EngineException::INVALID_SETTINGS, 'INVALID_SETTINGS', '/^settings: unknown field `colour`/', $e);
    }

    public function testRelativeSpoolDirIsStatus5(): void
    {
        $engine = $this->engine();
        $e = $this->thrown(fn () => $engine->init($this->settings(['spool_dir' => 'wp-content/spool'])));
        $this->assertStatus(EngineException::INVALID_SETTINGS, 'INVALID_SETTINGS', '/^settings: spool_dir: must be an absolute path/', $e);
    }

    public function testABadEndpointIsLeftOutAndReportedWhileTheOthersApply(): void
    {
        $engine = $this->initialized();
        $snapshot = self::snapshot('https://example.org/hook', null);
        $snapshot['endpoints'][] = ['id' => 2, 'url' => 'ftp://example.org/hook', 'events' => ['*']];
        $snapshot['endpoints'][] = ['id' => 3, 'url' => 'https://example.org/other', 'events' => []];
        $report = $engine->configure($snapshot);
        $this->assertTrue($report['applied']);
        $this->assertSame(1, $report['endpoints']);
        $this->assertSame([2, 3], array_column($report['rejected'], 'id'));
        $this->assertSame(['invalid_url', 'scheme'], [$report['rejected'][0]['kind'], $report['rejected'][0]['code']]);
        $this->assertSame('invalid_config', $report['rejected'][1]['kind']);
        $this->assertSame(1, $engine->configuredVersion(), 'the good endpoint was applied');
        $this->assertSame([2, 3], array_column($engine->stats()['rejected_endpoints'], 'id'), 'and the stats name the others');
    }

    public function testADocumentThatIsNoSnapshotIsStatus6(): void
    {
        $engine = $this->initialized();
        $e = $this->thrown(static fn () => $engine->configure(['endpoints' => []]));
        $this->assertStatus(EngineException::INVALID_CONFIG, 'INVALID_CONFIG', '/^config: /', $e);
        $this->assertSame('invalid_config', $e->kind());
        $this->assertSame(0, $engine->configuredVersion(), 'nothing was applied');
    }

    public function testSpoolDirThatCannotBeCreatedIsStatus9(): void
    {
        $file = $this->tempDir('file') . '/not-a-dir';
        touch($file);
        $engine = $this->engine();
        $e = $this->thrown(fn () => $engine->init($this->settings(['spool_dir' => $file . '/spool'])));
        $this->assertStatus(EngineException::SPOOL, 'SPOOL', '/^spool: .*not-a-dir/', $e);
    }

    public function testBadEventSlugIsStatus8(): void
    {
        $engine = $this->initialized();
        $e = $this->thrown(static fn () => $engine->emit('site created', ['site_id' => 1]));
        $this->assertStatus(EngineException::INVALID_EVENT, 'INVALID_EVENT', '/^event: the event slug "site created" has \' \'/', $e);
        $e = $this->thrown(static fn () => $engine->emit('', ['site_id' => 1]));
        $this->assertStatus(EngineException::INVALID_EVENT, 'INVALID_EVENT', '/^event: the event slug is empty$/', $e);
    }

    public function testCallsBeforeInitAreStatus7(): void
    {
        $run = PhpScript::run('not_initialized.php');
        $this->assertSame(0, $run['exit'], $run['stderr']);
        $seen = json_decode($run['stdout'], true, 512, JSON_THROW_ON_ERROR);
        $this->assertSame($this->engine()->version(), $seen['version'], 'version() needs no init');
        unset($seen['version']);
        $this->assertCount(10, $seen);
        foreach ($seen as $method => $what) {
            $this->assertIsArray($what, "$method before init: $run[stdout]");
            $this->assertSame(EngineException::NOT_INITIALIZED, $what['code'], $method);
            $this->assertSame('NOT_INITIALIZED', $what['status'], $method);
            $this->assertStringStartsWith('engine: not initialized; call hooks_init', $what['message'], $method);
        }
    }

    public function testRedeliverToUnknownEndpointIsStatus11(): void
    {
        $engine = $this->initialized();
        $engine->configure(self::snapshot('http://127.0.0.1:9/hook', null));
        $e = $this->thrown(static fn () => $engine->redeliver(['event_id' => 'msg_abc', 'endpoint_id' => 42, 'event' => 'site_created', 'payload' => ['site_id' => 1]]));
        $this->assertStatus(EngineException::NOT_FOUND, 'NOT_FOUND', '/^not found: endpoint 42 is not in the configured snapshot$/', $e);
        // The one that exists is accepted, with the payload as a JSON string too.
        $engine->redeliver(['event_id' => 'msg_abc', 'endpoint_id' => 1, 'event' => 'site_created', 'payload' => '{"site_id":1}']);
        $this->addToAssertionCount(1);
    }

    public function testAStringPayloadInARequestMustBeOneJsonObject(): void
    {
        $engine = $this->initialized();
        $request = ['endpoint' => ['id' => 1, 'url' => 'http://127.0.0.1:9/', 'events' => ['x']], 'event' => 'x'];
        foreach (['[1]', '{}, "extra": 1', '{"a":'] as $payload) {
            $e = $this->thrown(static fn () => $engine->sendTest($request + ['payload' => $payload]));
            $this->assertStatus(EngineException::INVALID_JSON, 'INVALID_JSON', '/^json: /', $e);
        }
        $e = $this->thrown(static fn () => $engine->redeliver(['event_id' => 'msg_1', 'endpoint_id' => 1, 'event' => 'x', 'payload' => "{\"a\":\"\xFF\"}"]));
        $this->assertStatus(EngineException::INVALID_UTF8, 'INVALID_UTF8', '/^json: /', $e);
    }

    public function testArgumentsOutsideTheCRangeAreRefusedBeforeTheCall(): void
    {
        $engine = $this->initialized();
        foreach (
            [static fn () => $engine->flush(-1), static fn () => $engine->shutdown(-1),
            static fn () => $engine->takeResults(0), static fn () => $engine->takeResults(10001),
            static fn () => $engine->takeResults(1, 1000)] as $call
        ) {
            try {
                $call();
                $this->fail('expected an InvalidArgumentException');
            } catch (\InvalidArgumentException $e) {
                $this->assertMatchesRegularExpression('/must be/', $e->getMessage());
            }
        }
        $this->assertTrue($engine->flush(5000), 'the engine is unharmed');
    }

    public function testFlushPastItsDeadlineReturnsFalse(): void
    {
        $receiver = $this->receiver();
        $engine = $this->engine();
        $engine->init($this->settings());
        $engine->configure(self::snapshot($receiver->url('/sleep/1500'), null));
        $engine->emit('site_created', ['site_id' => 1]);
        $started = microtime(true);
        $this->assertFalse($engine->flush(150), 'the delivery takes 1.5 s');
        $elapsed = microtime(true) - $started;
        $this->assertGreaterThanOrEqual(0.14, $elapsed);
        $this->assertLessThan(1.0, $elapsed);
        $this->assertTrue($engine->flush(10000), 'done once the receiver answers');
    }
}
