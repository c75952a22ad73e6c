<?php
/**
 * One source per fact on the PHP side: the capability, the option names, the rule of which
 * secrets sign, the record of one attempt, the status and sort lists, and the retry schedule
 * the Edit page describes — each defined once, and every surface shown to use it.
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Tests\Wp;

final class OneSourceTest extends WpTestCase
{
    private const SRC = HOOKS_TEST_ROOT . '/php-bridge';

    /**
     * The plugin's PHP files, path => text.
     *
     * @return array<string, string>
     */
    private static function sources(): array
    {
        $out = [];
        $files = new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator(self::SRC, \FilesystemIterator::SKIP_DOTS));
        foreach ($files as $f) {
            if ($f->getExtension() === 'php') {
                $out[substr($f->getPathname(), strlen(self::SRC) + 1)] = (string) file_get_contents($f->getPathname());
            }
        }
        return $out;
    }

    public function testTheCapabilityIsSpelledOnce(): void
    {
        $found = [];
        foreach (self::sources() as $path => $text) {
            if (preg_match_all("/['\"]manage_network(_options)?['\"]/", $text, $m) > 0) {
                $found[$path] = count($m[0]);
            }
        }
        $this->assertSame(['src/Plugin.php' => 1], $found, 'only Plugin::CAPABILITY names the capability');
        $uses = array_filter(self::sources(), static fn (string $t): bool => str_contains($t, 'current_user_can(') || str_contains($t, 'add_menu_page('));
        foreach ($uses as $path => $text) {
            preg_match_all('/current_user_can\(([^)]*)\)/', $text, $m);
            foreach ($m[1] as $arg) {
                $this->assertMatchesRegularExpression('/^(Plugin|self)::CAPABILITY$/', trim($arg), "$path asks for the plugin's capability");
            }
        }
        $this->assertSame('manage_network_options', trim(self::wp('echo MultisiteWebhooks\Plugin::CAPABILITY;')));
    }

    public function testEveryOptionIsNamedInOptionsAndRemovedOnUninstall(): void
    {
        foreach (self::sources() as $path => $text) {
            preg_match_all('/\b(?:get|update|add|delete)_site_option\(\s*([^,)]+)/', $text, $m);
            foreach ($m[1] as $arg) {
                // Uninstall walks Options::NETWORK with `$o`.
                $pattern = $path === 'src/Store/Schema.php' ? '/^(Options::[A-Z_]+|\$o)$/' : '/^Options::[A-Z_]+$/';
                $this->assertMatchesRegularExpression($pattern, trim($arg), "$path names a network option through Options");
            }
        }
        $o = self::wpJson('$r = new ReflectionClass(MultisiteWebhooks\Options::class); echo json_encode(["all" => $r->getConstants(),
            "network" => MultisiteWebhooks\Options::NETWORK, "user" => MultisiteWebhooks\Options::USER]);');
        $names = array_diff_key($o['all'], ['NETWORK' => 1, 'USER' => 1]);
        $this->assertEqualsCanonicalizing(array_values($names), array_merge($o['network'], $o['user']), 'every option is in NETWORK or USER, which uninstall removes');
        $this->assertSame(count($names), count(array_unique($names)), 'no two constants share a name');
        $uninstall = self::sources()['src/Store/Schema.php'];
        $this->assertStringContainsString('foreach (Options::NETWORK as $o)', $uninstall);
        $this->assertStringContainsString('foreach (Options::USER as $o)', $uninstall);
    }

    public function testOneRuleSaysWhichSecretsSign(): void
    {
        $r = self::wpJson('$now = 1000000; $s = [["secret" => "whsec_new", "created" => 1, "expires" => null], ["secret" => "whsec_grace", "expires" => $now + 100],
                ["secret" => "whsec_gone", "expires" => $now - 1], ["secret" => "", "expires" => null], "junk"];
            echo json_encode(["active" => MultisiteWebhooks\Store\Webhooks::activeSecrets($s, $now), "until" => MultisiteWebhooks\Store\Webhooks::previousValidUntil($s, $now),
                "none" => MultisiteWebhooks\Store\Webhooks::previousValidUntil([$s[0], $s[2]], $now)]);');
        $this->assertSame(['active' => ['whsec_new', 'whsec_grace'], 'until' => 1000100, 'none' => null], $r);

        // The snapshot, the REST answer to rotation and the Edit page apply it to a real webhook.
        $hook = $this->createWebhook('Rotating', '/rotating', ['test_ping']);
        $state = self::wpJson('$p = MultisiteWebhooks\Plugin::instance(); $new = $p->webhooks()->rotateSecret(' . $hook['id'] . ');
            $mine = static fn () => array_values(array_filter($p->webhooks()->snapshot()["endpoints"], static fn ($e) => $e["id"] === ' . $hook['id'] . '))[0]["secrets"];
            $rotated = $mine();
            global $wpdb; $secrets = $p->webhooks()->get(' . $hook['id'] . ', true)["secrets"]; $secrets[1]["expires"] = time() - 1;
            $wpdb->update(MultisiteWebhooks\Store\Schema::table("webhooks"), ["secrets" => wp_json_encode($secrets)], ["id" => ' . $hook['id'] . ']);
            echo json_encode(["new" => $new, "rotated" => $rotated, "expired" => $mine()]);');
        $this->assertSame([$state['new'], $hook['secret']], $state['rotated'], 'both sign during the grace period, newest first');
        $this->assertSame([$state['new']], $state['expired'], 'a secret past its grace no longer signs');
    }

    public function testTheRestApiAndTheCliShowTheDeliveryLogsRecordOfAnAttempt(): void
    {
        $r = self::wpJson('$c = new MultisiteWebhooks\Rest\DeliveriesController(MultisiteWebhooks\Plugin::instance());
            echo json_encode(["record" => MultisiteWebhooks\Store\Deliveries::ATTEMPT_FIELDS, "detail" => MultisiteWebhooks\Store\Deliveries::ATTEMPT_DETAIL_FIELDS,
                "renamed" => MultisiteWebhooks\Rest\DeliveriesController::RENAMED, "rest" => array_keys($c->get_item_schema()["properties"]),
                "cli" => MultisiteWebhooks\Cli\DeliveryCommand::FIELDS]);');
        $api = static fn (array $fields): array => array_map(static fn (string $f): string => $r['renamed'][$f] ?? $f, $fields);
        $this->assertSame(array_merge($r['record'], $r['detail']), $r['cli'], 'WP-CLI shows the record as defined');
        $this->assertEqualsCanonicalizing(array_merge($api($r['record']), $api($r['detail']), ['payload']), $r['rest'], 'the REST schema describes the record');

        $hook = $this->createWebhook('Record', '/record', ['test_ping']);
        self::wp('echo hooks_emit("test_ping", ["n" => 1]);');
        $this->waitForPosts('/record', 1);
        $cred = self::applicationPassword('admin');
        $rows = [];
        $end = microtime(true) + 20;
        while ($rows === [] && microtime(true) < $end) {
            $rows = self::rest('GET', '/deliveries?webhook_id=' . $hook['id'], null, $cred)['body'];
            usleep(200_000);
        }
        $this->assertCount(1, $rows);
        $this->assertSame(array_merge($api($r['record']), ['_links']), array_keys($rows[0]), 'a listed attempt is the record, under the API\'s names');
        $one = self::rest('GET', '/deliveries/' . $rows[0]['id'], null, $cred)['body'];
        $this->assertSame(array_merge($api($r['record']), $api($r['detail']), ['payload', '_links']), array_keys($one));
        $cli = self::cli('webhook delivery get', [$rows[0]['id']], ['format' => 'json']);
        $this->assertSame(0, $cli['status'], $cli['err']);
        $this->assertSame(array_merge($r['cli'], ['payload']), array_keys(json_decode($cli['out'], true)));
    }

    public function testStatusAndSortListsComeFromTheStores(): void
    {
        $lists = self::wpJson('$t = new ReflectionMethod(MultisiteWebhooks\Admin\WebhooksTable::class, "get_sortable_columns"); $t->setAccessible(true);
            require_once ABSPATH . "wp-admin/includes/class-wp-list-table.php";
            $table = (new ReflectionClass(MultisiteWebhooks\Admin\WebhooksTable::class))->newInstanceWithoutConstructor();
            echo json_encode(["statuses" => MultisiteWebhooks\Store\Deliveries::STATUS_FILTERS, "orderby" => MultisiteWebhooks\Store\Webhooks::ORDERBY,
                "sortable" => array_column($t->invoke($table), 0)]);');
        $this->assertSame(['delivered', 'failed', 'retrying', 'cancelled', 'refused', 'failing'], $lists['statuses']);
        $this->assertSame([], array_diff($lists['sortable'], $lists['orderby']), 'the admin table sorts only by columns the store sorts by');
        $cred = self::applicationPassword('admin');
        $deliveries = self::rest('OPTIONS', '/deliveries', null, $cred)['body'];
        $this->assertSame($lists['statuses'], $deliveries['endpoints'][0]['args']['status']['enum']);
        $webhooks = self::rest('OPTIONS', '/webhooks', null, $cred)['body'];
        $this->assertSame($lists['orderby'], $webhooks['endpoints'][0]['args']['orderby']['enum']);
        $cli = self::cli('webhook delivery list', [], ['status' => 'lost']);
        $this->assertStringContainsString('use one of ' . implode(', ', $lists['statuses']) . '.', $cli['err'] . $cli['out']);
    }

    public function testTheEditPageDescribesTheRetryScheduleTheEngineIsGiven(): void
    {
        $r = self::wpJson('echo json_encode([
            "default" => MultisiteWebhooks\Messages::retries(MultisiteWebhooks\Settings::RETRY_SCHEDULE_S),
            "given" => MultisiteWebhooks\Settings::engine()["retry_schedule_s"],
            "one" => MultisiteWebhooks\Messages::retries([3600]),
            "days" => MultisiteWebhooks\Messages::retries([86400, 86400, 86400]),
            "minutes" => MultisiteWebhooks\Messages::retries([60, 1200]),
            "none" => MultisiteWebhooks\Messages::retries([]),
        ]);');
        $this->assertSame('Any response from 200 to 299 counts as delivered; anything else is retried 7 more times over about 27 hours.', $r['default']);
        $this->assertSame('Any response from 200 to 299 counts as delivered; anything else is retried 1 more time over about 1 hour.', $r['one']);
        $this->assertSame('Any response from 200 to 299 counts as delivered; anything else is retried 3 more times over about 3 days.', $r['days']);
        $this->assertSame('Any response from 200 to 299 counts as delivered; anything else is retried 2 more times over about 21 minutes.', $r['minutes']);
        $this->assertSame('Any response from 200 to 299 counts as delivered; anything else fails at once, without retries.', $r['none']);
        $this->assertSame([1, 2, 3], $r['given'], 'the test network gives the engine its own schedule (fixtures)');

        // The page a network admin opens says what this network's engine will do.
        $jar = self::login();
        [$status, $html] = self::http('http://localhost/wp-admin/network/admin.php?page=multisite-webhooks-edit', $jar);
        @unlink($jar);
        $this->assertSame(200, $status);
        $this->assertStringContainsString('anything else is retried 3 more times over 6 seconds.', $html);
        $this->assertStringNotContainsString('27 hours', $html);
    }
}
