<?php

declare(strict_types=1);

namespace MultisiteWebhooks\Tests;

use MultisiteWebhooks\Tests\Support\EngineTestCase;

/**
 * Events emitted from PHP reach a real local server, signed so that an independent Standard
 * Webhooks verifier accepts them.
 */
final class DeliveryTest extends EngineTestCase
{
    public function testEmitReachesTheReceiverSignedWithTheExactBytes(): void
    {
        $secret = self::newSecret();
        $receiver = $this->receiver([$secret]);
        $engine = $this->engine();
        $engine->init($this->settings());
        $this->assertTrue($engine->configure(self::snapshot($receiver->url('/hook'), $secret, ['site_created']))['applied']);
        $this->assertSame(1, $engine->configuredVersion());

        $payload = ['site_id' => 7, 'site_url' => 'https://example.org/café/', 'site_title' => 'Ünïcode & "quotes" <b>'];
        $id = $engine->emit('site_created', $payload);
        $this->assertMatchesRegularExpression('/^msg_[A-Za-z0-9]{26}$/', $id);
        $this->assertTrue($engine->flush(10000));

        $requests = $receiver->requests();
        $this->assertCount(1, $requests);
        $r = $requests[0];
        $this->assertSame('POST', $r['method']);
        $this->assertSame('/hook', $r['path']);
        $this->assertSame(
            '{"site_id":7,"site_url":"https:\/\/example.org\/caf\u00e9\/","site_title":"\u00dcn\u00efcode & \"quotes\" <b>"}',
            $r['body'],
            'the payload bytes as the plugin\'s one encoder wrote them (as Ultimate Multisite does: wp_json_encode\'s default flags)'
        );
        $this->assertSame($id, $r['headers']['webhook-id']);
        $this->assertTrue($r['signature_valid'], 'standardwebhooks verified the signature');
        $this->assertSame('site_created', $r['headers']['x-webhook-event']);
        $this->assertSame('application/json', $r['headers']['content-type']);
        $this->assertStringStartsWith('MultisiteWebhooks/' . $engine->version(), $r['headers']['user-agent']);
    }

    public function testAnEventFromTheOutboxKeepsTheIdItWasGiven(): void
    {
        $secret = self::newSecret();
        $receiver = $this->receiver([$secret]);
        $engine = $this->engine();
        $engine->init($this->settings());
        $engine->configure(self::snapshot($receiver->url('/hook'), $secret, ['site_created']));
        $id = \MultisiteWebhooks\Store\Outbox::newId();
        $this->assertMatchesRegularExpression('/^msg_[0-9A-HJKMNP-TV-Z]{26}$/', $id, 'the engine\'s own form of id');
        $this->assertNotSame($id, \MultisiteWebhooks\Store\Outbox::newId());
        $engine->emitAs($id, 'site_created', '{"site_id":8}');
        try {
            $engine->emitAs('outbox_6', 'site_created', '{"site_id":9}');
            $this->fail('a malformed id is refused');
        } catch (\MultisiteWebhooks\Engine\EngineException $e) {
            $this->assertSame(\MultisiteWebhooks\Engine\EngineException::INVALID_JSON, $e->getCode());
            $this->assertStringContainsString('id: msg_ and 26 Crockford base-32 characters', $e->getMessage());
        }
        $this->assertTrue($engine->flush(10000));
        $requests = $receiver->requests();
        $this->assertCount(1, $requests);
        $this->assertSame($id, $requests[0]['headers']['webhook-id']);
        $this->assertSame('{"site_id":8}', $requests[0]['body']);
        $this->assertTrue($requests[0]['signature_valid']);
    }

    public function testTheReceiverRejectsAForeignSignature(): void
    {
        // The verifier is not a rubber stamp: a request signed with another secret fails it.
        $receiver = $this->receiver([self::newSecret()]);
        $engine = $this->engine();
        $engine->init($this->settings());
        $engine->configure(self::snapshot($receiver->url('/hook'), self::newSecret()));
        $engine->emit('site_created', ['site_id' => 1]);
        $this->assertTrue($engine->flush(10000));
        $requests = $receiver->requests();
        $this->assertCount(1, $requests);
        $this->assertFalse($requests[0]['signature_valid']);
        $this->assertStringContainsString('signature INVALID', $receiver->http('GET', '/'));
    }

    public function testEmptyArrayPayloadIsSentAsAnEmptyObject(): void
    {
        $receiver = $this->receiver();
        $engine = $this->engine();
        $engine->init($this->settings());
        $engine->configure(self::snapshot($receiver->url('/hook'), null));
        $engine->emit('network_ping', []);
        $engine->emit('network_ping', '{ "raw" : [1, 2.50] }');
        $this->assertTrue($engine->flush(10000));
        $bodies = array_column($receiver->requests(), 'body');
        sort($bodies);
        $this->assertSame(['{ "raw" : [1, 2.50] }', '{}'], $bodies, 'a string payload is sent byte for byte');
    }

    public function testSendTestAgainstA2xxReceiver(): void
    {
        $secret = self::newSecret();
        $receiver = $this->receiver([$secret]);
        $engine = $this->engine();
        $engine->init($this->settings());
        $result = $engine->sendTest([
            'endpoint' => ['id' => 3, 'url' => $receiver->url('/test'), 'events' => ['payment_received'], 'secrets' => [$secret]],
            'event'    => 'payment_received',
            'payload'  => ['payment_id' => 12, 'payment_total' => 9.99],
        ]);
        $this->assertTrue($result['ok']);
        $this->assertSame(200, $result['status']);
        $this->assertSame('OK', $result['reason']);
        $this->assertNull($result['error']);
        $this->assertSame('ok', $result['response_excerpt']);
        $this->assertSame('{"payment_id":12,"payment_total":9.99}', $result['body']);
        $headers = $result['request_headers'];
        $this->assertSame('application/json', $headers['content-type']);
        $this->assertSame('payment_received', $headers['x-webhook-event']);
        $this->assertMatchesRegularExpression('/^v1,[A-Za-z0-9+\/]+=*$/', $headers['webhook-signature']);
        $this->assertStringNotContainsString(substr($secret, 6), json_encode($result), 'the secret is never echoed');

        $requests = $receiver->requests();
        $this->assertCount(1, $requests);
        $this->assertSame($headers['webhook-id'], $requests[0]['headers']['webhook-id']);
        $this->assertSame($result['body'], $requests[0]['body']);
        $this->assertTrue($requests[0]['signature_valid']);
    }

    public function testSendTestReportsA500(): void
    {
        $receiver = $this->receiver();
        $engine = $this->engine();
        $engine->init($this->settings());
        $result = $engine->sendTest([
            'endpoint' => ['id' => 3, 'url' => $receiver->url('/status/500'), 'events' => ['site_created']],
            'event'    => 'site_created',
            'payload'  => '{ "site_id": 1.50 }',
        ]);
        $this->assertFalse($result['ok']);
        $this->assertSame(500, $result['status']);
        $this->assertSame('status 500', $result['response_excerpt']);
        $requests = $receiver->requests();
        $this->assertCount(1, $requests);
        $this->assertSame('{ "site_id": 1.50 }', $requests[0]['body'], 'a JSON string payload is sent byte for byte');
    }

    public function testSendTestToAClosedPortIsANetworkError(): void
    {
        $engine = $this->engine();
        $engine->init($this->settings());
        $result = $engine->sendTest([
            'endpoint' => ['id' => 3, 'url' => 'http://127.0.0.1:' . self::closedPort() . '/hook', 'events' => ['site_created']],
            'event'    => 'site_created',
            'payload'  => '{"site_id":1}',
        ]);
        $this->assertFalse($result['ok']);
        $this->assertNull($result['status']);
        $this->assertMatchesRegularExpression('/^network: .*(refused|connection failed)/i', (string) $result['error']);
    }

    public function testSendTestToCloudMetadataIsRefusedByTheSsrfGuard(): void
    {
        $engine = $this->engine();
        $engine->init($this->settings());
        $started = microtime(true);
        $result = $engine->sendTest([
            'endpoint' => ['id' => 3, 'url' => 'http://169.254.169.254/latest/meta-data/', 'events' => ['site_created']],
            'event'    => 'site_created',
            'payload'  => [],
        ]);
        $this->assertFalse($result['ok']);
        $this->assertNull($result['status']);
        $this->assertStringStartsWith('ssrf:', (string) $result['error']);
        $this->assertLessThan(1.0, microtime(true) - $started, 'refused before connecting');
    }

    public function testTakeResultsHandsOverEachDeliveredAttemptOnce(): void
    {
        $receiver = $this->receiver();
        $engine = $this->engine();
        $engine->init($this->settings());
        $engine->configure(self::snapshot($receiver->url('/hook'), null, ['user_registered']));
        $sent = [];
        for ($i = 1; $i <= 3; $i++) {
            $sent[$engine->emit('user_registered', ['user_id' => $i])] = '{"user_id":' . $i . '}';
        }
        $this->assertTrue($engine->flush(10000));

        $batch = $engine->takeResults();
        $results = $batch['attempts'];
        $this->assertCount(3, $results);
        $this->assertFalse($batch['more']);
        $byEvent = [];
        foreach ($results as $r) {
            $byEvent[$r['event_id']] = $r;
        }
        $payloads = array_column($batch['events'], 'payload', 'event_id');
        ksort($byEvent);
        ksort($sent);
        $this->assertSame(array_keys($sent), array_keys($byEvent));
        foreach ($byEvent as $id => $r) {
            $this->assertSame('delivered', $r['outcome']);
            $this->assertSame(200, $r['status']);
            $this->assertSame(1, $r['attempt']);
            $this->assertSame(1, $r['endpoint_id']);
            $this->assertSame('user_registered', $r['event']);
            $this->assertSame($receiver->url('/hook'), $r['url']);
            $this->assertArrayNotHasKey('payload', $r, 'the payload travels once per event, not per attempt');
            $this->assertSame($sent[$id], $payloads[$id], 'the payload comes back as the exact bytes sent');
            $this->assertMatchesRegularExpression('/^att_/', $r['attempt_id']);
        }

        $same = $engine->takeResults();
        $this->assertSame(array_column($results, 'attempt_id'), array_column($same['attempts'], 'attempt_id'), 'nothing is let go before the acknowledgement');
        $engine->ackResults($batch['ack']);
        $again = $engine->takeResults();
        $this->assertSame([], $again['attempts']);
        $this->assertSame([], $again['events']);
    }
}
