<?php

declare(strict_types=1);

namespace MultisiteWebhooks\Tests;

use MultisiteWebhooks\Engine\EngineException;
use MultisiteWebhooks\Tests\Support\EngineTestCase;

/**
 * checkUrl() tells an admin, before a webhook is saved, whether the SSRF guard would refuse
 * its URL and why — the same guard, with the same `ssrf_allow`, that delivery uses.
 */
final class CheckUrlTest extends EngineTestCase
{
    public function testLoopbackIsRefusedWithTheGuardsReason(): void
    {
        $engine = $this->engine();
        $engine->init($this->settings(['ssrf_allow' => []]));
        $this->assertResult([
            'ok'        => false,
            'kind'      => 'ssrf_refused',
            'address'   => '127.0.0.1',
            'range'     => 'loopback',
            'reason'    => 'ssrf: refused 127.0.0.1 (loopback); add it to ssrf_allow to permit it',
            'addresses' => ['127.0.0.1'],
        ], $engine->checkUrl('http://127.0.0.1:8080/hook'));

        $result = $engine->checkUrl('https://[::1]/hook');
        $this->assertFalse($result['ok']);
        $this->assertSame('ssrf: refused ::1 (loopback); add it to ssrf_allow to permit it', $result['reason']);

        // A name is judged on what it resolves to (`localhost` comes from the hosts file).
        $result = $engine->checkUrl('http://localhost:8080/hook');
        $this->assertFalse($result['ok']);
        $this->assertMatchesRegularExpression('/^ssrf: refused \S+ \(loopback\); add it to ssrf_allow to permit it$/', $result['reason']);
        $this->assertNotEmpty($result['addresses']);
    }

    public function testCloudMetadataIsRefusedAsDeliveryRefusesIt(): void
    {
        $engine = $this->engine();
        $engine->init($this->settings());
        $url = 'http://169.254.169.254/latest/meta-data/';
        $result = $engine->checkUrl($url);
        $this->assertFalse($result['ok']);
        $this->assertSame(['169.254.169.254'], $result['addresses']);
        $sent = $engine->sendTest(['endpoint' => ['id' => 1, 'url' => $url, 'events' => ['site_created']], 'event' => 'site_created', 'payload' => []]);
        $this->assertSame($sent['error'], $result['reason'], 'the words delivery uses');
    }

    public function testSsrfAllowLetsTheUrlThrough(): void
    {
        $engine = $this->engine();
        $engine->init($this->settings(['ssrf_allow' => ['127.0.0.1', '::1']]));
        $this->assertResult(['ok' => true, 'kind' => 'ok', 'addresses' => ['127.0.0.1']], $engine->checkUrl('http://127.0.0.1:8080/hook'));
        $this->assertResult(['ok' => true, 'kind' => 'ok', 'addresses' => ['::1']], $engine->checkUrl('http://[::1]:8080/hook'));
        $this->assertFalse($engine->checkUrl('http://127.0.0.2/hook')['ok'], 'only what the list names');
        // A public address needs no lookup and no network.
        $this->assertResult(['ok' => true, 'kind' => 'ok', 'addresses' => ['93.184.216.34']], $engine->checkUrl('https://93.184.216.34/hook'));
    }

    public function testANameThatDoesNotResolveIsNeitherOkNorRefused(): void
    {
        $engine = $this->engine();
        $engine->init($this->settings());
        $result = $engine->checkUrl('https://no-such-host.invalid/hook');
        $this->assertArrayHasKey('ok', $result);
        $this->assertNull($result['ok']);
        $this->assertStringStartsWith('could not resolve no-such-host.invalid: ', $result['reason']);
    }

    public function testAUrlThatIsNotHttpIsInvalidConfig(): void
    {
        $engine = $this->engine();
        $engine->init($this->settings());
        // The message names the URL rule's code (tests/fixtures/url-rule.json has them all).
        foreach (
            ['ftp://example.org/hook' => '/^config: url: scheme: /', 'example.org/hook' => '/^config: url: scheme: /',
            '' => '/^config: url: empty: /', 'https://example.org/' . str_repeat('a', 2048) => '/^config: url: too_long: /'] as $url => $pattern
        ) {
            try {
                $engine->checkUrl((string) $url);
                $this->fail("expected an EngineException for $url");
            } catch (EngineException $e) {
                $this->assertSame(EngineException::INVALID_CONFIG, $e->getCode(), $e->getMessage());
                $this->assertSame('INVALID_CONFIG', $e->statusName());
                $this->assertSame('invalid_url', $e->kind());
                $this->assertMatchesRegularExpression($pattern, $e->getMessage());
            }
        }
        try {
            $engine->checkUrl("http://caf\xE9.example/");
            $this->fail('expected an EngineException for invalid UTF-8');
        } catch (EngineException $e) {
            $this->assertSame(EngineException::INVALID_UTF8, $e->getCode());
            $this->assertSame('utf-8: url is not valid UTF-8 (at byte 10)', $e->getMessage());
        }
    }

    /**
     * Asserts that $actual has exactly the keys and values of $expected, in any key order.
     *
     * @param array<string, mixed> $expected
     * @param array<string, mixed> $actual
     */
    private function assertResult(array $expected, array $actual): void
    {
        ksort($expected);
        ksort($actual);
        $this->assertSame($expected, $actual);
    }
}
