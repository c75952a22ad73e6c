<?php

declare(strict_types=1);

namespace MultisiteWebhooks\Tests;

use MultisiteWebhooks\Engine\EngineException;
use MultisiteWebhooks\HeaderRule;
use MultisiteWebhooks\Payload;
use MultisiteWebhooks\Tests\Support\EngineTestCase;
use MultisiteWebhooks\UrlRule;

/**
 * The plugin's own checks give the same verdicts as the engine's, on the vector files the
 * engine's Rust tests read too (tests/fixtures/url-rule.json, tests/fixtures/payload-rule.json,
 * tests/fixtures/header-rule.json):
 * a URL the plugin saves is one the engine takes, and a payload the outbox keeps is one the
 * engine will accept.
 */
final class RuleVectorsTest extends EngineTestCase
{
    /** @return array<string, mixed> */
    private static function vectors(string $name): array
    {
        return json_decode((string) file_get_contents(dirname(__DIR__) . '/fixtures/' . $name), true, 512, JSON_THROW_ON_ERROR);
    }

    public function testTheUrlRuleGivesEveryVectorItsVerdict(): void
    {
        $doc = self::vectors('url-rule.json');
        $this->assertGreaterThan(40, count($doc['vectors']));
        foreach ($doc['vectors'] as $v) {
            $this->assertSame($v['ok'] ? null : $v['code'], UrlRule::check($v['url']), 'URL ' . substr($v['url'], 0, 80));
        }
    }

    public function testTheEngineAgreesWithThePluginOnEveryUrlVector(): void
    {
        $engine = $this->engine();
        $engine->init($this->settings());
        foreach (self::vectors('url-rule.json')['vectors'] as $i => $v) {
            $report = $engine->configure(['version' => $i + 1, 'endpoints' => [['id' => 1, 'url' => $v['url'], 'events' => ['e']]]]);
            $label = 'URL ' . substr($v['url'], 0, 80);
            if ($v['ok']) {
                $this->assertSame([], $report['rejected'], $label);
                $this->assertSame(1, $report['endpoints'], $label);
            } else {
                $this->assertCount(1, $report['rejected'], $label);
                $this->assertSame('invalid_url', $report['rejected'][0]['kind'], $label);
                $this->assertSame($v['code'], $report['rejected'][0]['code'], $label);
            }
        }
    }

    public function testHostsInOtherScriptsAreSavedInTheirAsciiForm(): void
    {
        $this->assertSame(['https://xn--bcher-kva.example/hook', null], UrlRule::normalize('https://bücher.example/hook'));
        $this->assertSame(['https://xn--j2bd4cyah0f.example:8443/x?y=1', null], UrlRule::normalize(' https://हिन्दी.example:8443/x?y=1 '));
        // Only the host is converted: other text outside ASCII stays refused, with its code.
        $this->assertSame('not_ascii', UrlRule::normalize('https://example.com/हिंदी')[1]);
        $this->assertSame('idn', UrlRule::normalize("https://a\u{200D}b..example/")[1]);
    }

    public function testTheHeaderRuleGivesEveryVectorItsVerdict(): void
    {
        $doc = self::vectors('header-rule.json');
        $this->assertGreaterThan(50, count($doc['vectors']));
        foreach ($doc['vectors'] as $v) {
            $want = $v['ok'] ? null : ['code' => $v['code'], 'why' => $v['why'], 'name' => $v['name']];
            $this->assertSame($want, HeaderRule::check($v['headers']), $v['note']);
        }
    }

    public function testTheEngineAgreesWithThePluginOnEveryHeaderVector(): void
    {
        $engine = $this->engine();
        $engine->init($this->settings());
        foreach (self::vectors('header-rule.json')['vectors'] as $i => $v) {
            $endpoint = ['id' => 1, 'url' => 'http://a.example/', 'events' => ['e'], 'headers' => (object) $v['headers']];
            $report = $engine->configure(['version' => $i + 1, 'endpoints' => [$endpoint]]);
            if ($v['ok']) {
                $this->assertSame([], $report['rejected'], $v['note']);
                $this->assertSame(1, $report['endpoints'], $v['note']);
            } else {
                $this->assertCount(1, $report['rejected'], $v['note']);
                $this->assertSame($v['code'], $report['rejected'][0]['code'], $v['note']);
            }
        }
    }

    public function testThePayloadRuleGivesEveryVectorItsKindOnBothSides(): void
    {
        $doc = self::vectors('payload-rule.json');
        $engine = $this->engine();
        // Every vector is heard by an endpoint, so the engine keeps (and checks) each one.
        $engine->init($this->settings(['max_payload_bytes' => $doc['default_limit']]));
        $engine->configure(self::snapshot('http://127.0.0.1:9/', null));
        foreach ($doc['vectors'] as $v) {
            $limit = $v['limit'] ?? $doc['default_limit'];
            $label = 'payload ' . substr($v['payload'], 0, 60);
            $want = $v['ok'] ? null : $v['kind'];
            $this->assertSame($want, Payload::check($v['payload'], $limit)['kind'] ?? null, "PHP: $label");
            if ($limit !== $doc['default_limit']) {
                continue; // The engine's limit is a setting: checked in the next test.
            }
            try {
                $engine->emit('e', $v['payload']);
                $got = null;
            } catch (EngineException $e) {
                $got = $e->kind();
            }
            $this->assertSame($want, $got, "engine: $label");
        }
    }

    public function testTheSizeLimitIsTheEnginesSetting(): void
    {
        $doc = self::vectors('payload-rule.json');
        $engine = $this->engine();
        $engine->init($this->settings(['max_payload_bytes' => 100]));
        $engine->configure(self::snapshot('http://127.0.0.1:9/', null));
        foreach ($doc['vectors'] as $v) {
            if (($v['limit'] ?? null) !== 100) {
                continue;
            }
            try {
                $engine->emit('e', $v['payload']);
                $got = null;
            } catch (EngineException $e) {
                $got = $e->kind();
            }
            $this->assertSame($v['ok'] ? null : $v['kind'], $got);
            $this->assertSame($v['ok'] ? null : $v['kind'], Payload::check($v['payload'], 100)['kind'] ?? null);
        }
    }
}
