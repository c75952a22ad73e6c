<?php

declare(strict_types=1);

namespace MultisiteWebhooks\Tests;

use MultisiteWebhooks\Receiver\VerificationFailed;
use MultisiteWebhooks\Receiver\Verifier;
use MultisiteWebhooks\Tests\Support\EngineTestCase;

require_once HOOKS_TEST_ROOT . '/php-bridge/receiver/verify.php';

/**
 * The single-file verifier shipped for receivers (php-bridge/receiver/verify.php): the
 * Standard Webhooks specification's vectors, the timestamp tolerance, secret rotation, and
 * real deliveries of the engine.
 */
final class ReceiverVerifyTest extends EngineTestCase
{
    /** @return array<string, mixed> */
    private static function vectors(): array
    {
        $file = HOOKS_TEST_ROOT . '/tests/fixtures/standard-webhooks-vectors.json';
        return json_decode((string) file_get_contents($file), true, 512, JSON_THROW_ON_ERROR);
    }

    /** @return array<string, string> */
    private static function headers(array $v, string $signature): array
    {
        return ['Webhook-Id' => $v['id'], 'Webhook-Timestamp' => (string) $v['timestamp'], 'Webhook-Signature' => $signature];
    }

    private function rejected(Verifier $verifier, string $body, array $headers, int $now): string
    {
        try {
            $verifier->verify($body, $headers, $now);
        } catch (VerificationFailed $e) {
            $this->assertSame('', $verifier->lastId());
            return $e->getMessage();
        }
        $this->fail('the request was accepted: ' . json_encode($headers));
    }

    public function testTheSpecificationsVectorsVerifyAndItsForgeriesDoNot(): void
    {
        $vectors = self::vectors();
        $this->assertGreaterThanOrEqual(2, count($vectors['valid']));
        foreach ($vectors['valid'] as $v) {
            $verifier = new Verifier([$v['secret']]);
            $payload = $verifier->verify($v['body'], self::headers($v, $v['signature']), $v['timestamp']);
            $this->assertSame(json_decode($v['body'], true), $payload);
            $this->assertSame($v['id'], $verifier->lastId());
            $this->assertStringContainsString(
                'no signature matches',
                $this->rejected($verifier, $v['body'] . ' ', self::headers($v, $v['signature']), $v['timestamp']),
                'a changed body'
            );
            $this->assertStringContainsString(
                'no signature matches',
                $this->rejected(new Verifier(['whsec_' . base64_encode(random_bytes(24))]), $v['body'], self::headers($v, $v['signature']), $v['timestamp']),
                'another secret'
            );
        }
        $v = $vectors['valid'][0];
        $verifier = new Verifier([$v['secret']]);
        foreach ($vectors['must_reject_for_vector_0'] as $bad) {
            $this->rejected($verifier, $v['body'], self::headers($v, $bad), $v['timestamp']);
        }
        foreach ($vectors['must_accept_for_vector_0'] as $good) {
            $this->assertSame(json_decode($v['body'], true), $verifier->verify($v['body'], self::headers($v, $good), $v['timestamp']));
        }
    }

    public function testTheTimestampMustBeWithinTheTolerance(): void
    {
        $vectors = self::vectors();
        $v = $vectors['valid'][0];
        $tolerance = $vectors['timestamp_tolerance_seconds'];
        $this->assertSame($tolerance, Verifier::DEFAULT_TOLERANCE);
        $verifier = new Verifier([$v['secret']]);
        $h = self::headers($v, $v['signature']);
        $this->assertIsArray($verifier->verify($v['body'], $h, $v['timestamp'] + $tolerance));
        $this->assertIsArray($verifier->verify($v['body'], $h, $v['timestamp'] - $tolerance));
        $this->assertStringContainsString('too old', $this->rejected($verifier, $v['body'], $h, $v['timestamp'] + $tolerance + 1));
        $this->assertStringContainsString('in the future', $this->rejected($verifier, $v['body'], $h, $v['timestamp'] - $tolerance - 1));
        $this->assertStringContainsString('not a number', $this->rejected($verifier, $v['body'], ['webhook-timestamp' => '1e9'] + $h, $v['timestamp']));
        $this->assertStringContainsString('lacks', $this->rejected($verifier, $v['body'], ['Webhook-Id' => $v['id']], $v['timestamp']));
        $strict = new Verifier([$v['secret']], 10);
        $this->assertStringContainsString('too old', $this->rejected($strict, $v['body'], $h, $v['timestamp'] + 11));
    }

    public function testDuringARotationEitherSecretVerifies(): void
    {
        $old = self::newSecret();
        $new = self::newSecret();
        $id = 'msg_rotation';
        $ts = 1700000000;
        $body = '{"a":1}';
        $sign = static fn (string $secret): string => 'v1,' . base64_encode(hash_hmac('sha256', "$id.$ts.$body", base64_decode(substr($secret, 6)), true));
        $headers = static fn (string $sig): array => ['webhook-id' => $id, 'webhook-timestamp' => (string) $ts, 'webhook-signature' => $sig];
        // The sender signs with both while it rotates; a receiver that knows only one accepts.
        $both = $sign($new) . ' ' . $sign($old);
        $this->assertSame(['a' => 1], (new Verifier([$old]))->verify($body, $headers($both), $ts));
        $this->assertSame(['a' => 1], (new Verifier([$new]))->verify($body, $headers($both), $ts));
        // A receiver given both accepts a request signed with either alone.
        $this->assertSame(['a' => 1], (new Verifier([$new, $old]))->verify($body, $headers($sign($old)), $ts));
        // PSR-7 style header arrays are read too.
        $this->assertSame(['a' => 1], (new Verifier([$new]))->verify($body, ['Webhook-Id' => [$id], 'Webhook-Timestamp' => [(string) $ts], 'Webhook-Signature' => [$sign($old), $sign($new)]], $ts));
        $this->expectException(\InvalidArgumentException::class);
        new Verifier(['whsec_not base64!']);
    }

    /**
     * The engine's own deliveries — signed with two secrets while one rotates, flat and
     * envelope bodies — verify with the shipped file, and a tampered copy does not.
     */
    public function testRealDeliveriesOfTheEngineVerify(): void
    {
        $old = self::newSecret();
        $new = self::newSecret();
        $receiver = $this->receiver([$new]);
        $engine = $this->engine();
        $engine->init($this->settings());
        $snapshot = self::snapshot($receiver->url('/hook'), $new, ['site_created']);
        $snapshot['endpoints'][0]['secrets'] = [$new, $old];
        $snapshot['endpoints'][] = ['id' => 2, 'url' => $receiver->url('/envelope'), 'events' => ['site_created'], 'secrets' => [$old], 'format' => 'envelope'];
        $this->assertTrue($engine->configure($snapshot)['applied']);
        $id = $engine->emit('site_created', ['site_id' => 7, 'site_title' => 'Ünïcode & "quotes"']);
        $this->assertTrue($engine->flush(10000));
        $requests = $receiver->requests();
        $this->assertCount(2, $requests);
        foreach ($requests as $r) {
            $verifier = new Verifier('/envelope' === $r['path'] ? [$old] : [$old, $new]);
            $payload = $verifier->verify($r['body'], $r['headers']);
            $this->assertSame($id, $verifier->lastId());
            $this->assertSame(7, ('/envelope' === $r['path'] ? $payload['data'] : $payload)['site_id']);
            $this->assertStringContainsString(
                'no signature matches',
                $this->rejected($verifier, str_replace('7', '8', $r['body']), $r['headers'], time())
            );
        }
        $hook = array_values(array_filter($requests, static fn (array $r): bool => '/hook' === $r['path']))[0];
        $this->assertSame(2, substr_count($hook['headers']['webhook-signature'], 'v1,'), 'signed with both secrets');
        $this->assertIsArray((new Verifier([$old]))->verify($hook['body'], $hook['headers']), 'the old secret alone verifies');
    }
}
